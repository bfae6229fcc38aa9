package dev.fetchd.fetch;

import io.vertx.core.Future;
import java.net.InetAddress;
import java.util.List;

/** Turns a host name into every address it has (A and AAAA). Tests inject their own. */
@FunctionalInterface
public interface Resolver {
  Future<List<InetAddress>> resolve(String host);
}
