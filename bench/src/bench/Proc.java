package bench;

import java.nio.file.Files;
import java.nio.file.Path;

/** Reads /proc/PID/status. */
final class Proc {
  private Proc() {
  }

  /** Peak resident set size (VmHWM) in KiB, or -1. */
  static long vmHwmKb(String pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (Exception e) {
      return -1;
    }
    return -1;
  }
}
