package bench;

import java.util.Arrays;

/** Entry point: java -cp target/fetchd.jar:bench/target/classes bench.Main target|raw|verify|trivial ARGS. */
public final class Main {
  private Main() {
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 0) {
      System.err.println("usage: bench.Main target|raw|verify|trivial [--options]");
      System.exit(2);
    }
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    switch (args[0]) {
      case "target" -> Target.main(rest);
      case "raw" -> RawClient.main(rest);
      case "verify" -> Verify.main(rest);
      case "trivial" -> Trivial.main(rest);
      default -> {
        System.err.println("unknown command " + args[0]);
        System.exit(2);
      }
    }
  }
}
