package dev.fetchd.cli;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.http.HttpResponse;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "get", description = {
    "Download every succeeded body of a job into a folder, under paths derived from the URLs (host/path...).",
    "Each body's sha256 is checked; files already there with the right sha256 are kept, so running it again"
        + " resumes. Bodies are written to a temporary file, then renamed."})
final class GetCommand extends ApiCommand {
  enum Outcome { FETCHED, KEPT, REPLACED }

  @Parameters(paramLabel = "ID", description = "The job id.")
  String id;

  @Option(names = {"-o", "--out"}, paramLabel = "DIR", required = true, description = "The folder to download into.")
  Path dir;

  /** Items per request; only tests change it, to see every page followed. */
  @Option(names = "--page-size", hidden = true, defaultValue = "1000")
  int pageSize;

  @Override
  public Integer call() {
    ApiClient api = api();
    PrintWriter out = out();
    PrintWriter err = spec.commandLine().getErr();
    JsonObject job = api.get(jobPath(id));
    if (!JobStates.terminal(job.getString("state"))) {
      err.println("fetchd: job " + id + " is " + job.getString("state") + ": saving what has succeeded so far");
    }
    Path root;
    try {
      Files.createDirectories(dir);
      root = dir.toRealPath();
    } catch (IOException e) {
      throw new CliException("cannot use " + dir + " as the output folder: " + e);
    }
    PathPlan plan = new PathPlan();
    long[] counts = new long[Outcome.values().length + 1];
    Items.forEach(api, id, "succeeded", pageSize, item -> {
      long index = item.getLong("index", 0L);
      List<String> segments = plan.claim(index, SafePaths.segments(item.getString("url", "")));
      String rel = String.join("/", segments);
      try {
        Outcome o = save(api, root, segments, item);
        counts[o.ordinal()]++;
        out.println(switch (o) {
          case FETCHED -> "fetched   " + Text.oneLine(rel);
          case KEPT -> "kept      " + Text.oneLine(rel) + "  (already there, sha256 matches)";
          case REPLACED -> "replaced  " + Text.oneLine(rel) + "  (the file there had another sha256)";
        });
      } catch (IOException | CliException e) {
        counts[Outcome.values().length]++;
        err.println("fetchd: item " + index + " (" + Text.truncate(item.getString("url"), 100) + ") not saved as "
            + Text.oneLine(rel) + ": " + Text.oneLine(e.getMessage()));
      }
      return true;
    });
    long failed = counts[Outcome.values().length];
    out.println(counts[Outcome.FETCHED.ordinal()] + counts[Outcome.REPLACED.ordinal()] + " downloaded, "
        + counts[Outcome.KEPT.ordinal()] + " already there, " + failed + " failed -> " + root);
    out.flush();
    err.flush();
    return failed > 0 ? JobStates.JOB_FAILED : JobStates.OK;
  }

  private static Outcome save(ApiClient api, Path root, List<String> segments, JsonObject item) throws IOException {
    String sha = item.getString("sha256");
    String content = item.getString("content");
    if (sha == null || content == null) {
      throw new IOException("the service has no stored body for it");
    }
    Path target = root;
    for (String s : segments) {
      target = target.resolve(s); // each segment is one plain name (SafePaths)
    }
    if (!target.normalize().startsWith(root)) {
      throw new IOException("the path leaves the output folder"); // cannot happen with SafePaths; kept as a guard
    }
    boolean existed = false;
    if (Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
      if (sha.equals(sha256(target))) {
        return Outcome.KEPT;
      }
      existed = true;
    } else if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException("something that is not a plain file is in the way");
    }
    Path parent = target.getParent();
    Files.createDirectories(parent);
    if (!parent.toRealPath().startsWith(root)) {
      throw new IOException("a link under the output folder leads out of it");
    }
    Path temp = Files.createTempFile(parent, ".fetchd-", ".part");
    try {
      HttpResponse<InputStream> r = api.stream(content);
      MessageDigest md = digest();
      try (InputStream in = new DigestInputStream(r.body(), md); OutputStream o = Files.newOutputStream(temp)) {
        in.transferTo(o);
      }
      String got = HexFormat.of().formatHex(md.digest());
      if (!got.equals(sha)) {
        throw new IOException("sha256 mismatch: the item says " + sha + ", the body downloaded has " + got);
      }
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      return existed ? Outcome.REPLACED : Outcome.FETCHED;
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  static String sha256(Path file) throws IOException {
    MessageDigest md = digest();
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), md)) {
      in.transferTo(OutputStream.nullOutputStream());
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
