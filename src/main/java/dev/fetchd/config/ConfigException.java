package dev.fetchd.config;

/** Bad configuration: start-up stops with this message, which names the key at fault. */
public final class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message);
  }
}
