package bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

/**
 * Checks fetchd's work after a run, untimed: every item of each job succeeded, with the url, byte count and
 * sha256 the target served (read through GET /jobs/{id}/items, page by page), and every stored file under
 * the data dir ({@code bodies/sha256/<2 hex>/<sha256>}, or {@code files/<jobId>/<index>} of earlier builds) has that
 * size and sha256 (read and hashed in full).
 * Prints one JSON line: {"items","succeeded","bad_items","files_checked","bad_files","first_problem"}.
 *
 * <p>Usage: verify --api http://127.0.0.1:PORT --jobs ID1,ID2 --urls FILE1,FILE2 --data DIR [--files true]
 */
public final class Verify {
  private Verify() {
  }

  public static void main(String[] args) throws Exception {
    Args a = new Args(args);
    String api = a.need("api");
    String[] jobs = a.need("jobs").split(",");
    String[] urlFiles = a.need("urls").split(",");
    Path data = Path.of(a.need("data"));
    boolean checkFiles = Boolean.parseBoolean(a.get("files", "true"));
    if (jobs.length != urlFiles.length) {
      throw new IllegalArgumentException("one URL file per job");
    }
    HttpClient http = HttpClient.newHttpClient();
    AtomicLong items = new AtomicLong();
    AtomicLong succeeded = new AtomicLong();
    AtomicLong badItems = new AtomicLong();
    AtomicLong filesChecked = new AtomicLong();
    AtomicLong badFiles = new AtomicLong();
    AtomicReference<String> first = new AtomicReference<>();
    for (int j = 0; j < jobs.length; j++) {
      String job = jobs[j];
      List<String> urls = Files.readAllLines(Path.of(urlFiles[j])).stream().filter(s -> !s.isBlank()).toList();
      String[] expectedSha = new String[urls.size()];
      long[] expectedSize = new long[urls.size()];
      IntStream.range(0, urls.size()).parallel().forEach(i -> {
        Object[] ns = Bodies.nameAndSize(urls.get(i));
        expectedSize[i] = (Long) ns[1];
        expectedSha[i] = Bodies.sha256((String) ns[0], (Long) ns[1]);
      });
      boolean[] seen = new boolean[urls.size()];
      String cursor = null;
      do {
        String q = api + "/jobs/" + job + "/items?limit=1000"
            + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8));
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(q)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
          throw new IllegalStateException("GET " + q + " -> " + r.statusCode() + " " + r.body());
        }
        JsonObject page = new JsonObject(r.body());
        JsonArray arr = page.getJsonArray("items");
        for (int k = 0; k < arr.size(); k++) {
          JsonObject it = arr.getJsonObject(k);
          items.incrementAndGet();
          int idx = it.getInteger("index");
          String problem = null;
          if (idx < 0 || idx >= urls.size()) {
            problem = "index " + idx + " out of range";
          } else {
            seen[idx] = true;
            if (!"succeeded".equals(it.getString("state"))) {
              problem = "item " + idx + " " + it.getString("state") + " " + it.getValue("error");
            } else if (!urls.get(idx).equals(it.getString("url"))) {
              problem = "item " + idx + " url " + it.getString("url") + " != " + urls.get(idx);
            } else if (it.getLong("bytes") != expectedSize[idx]) {
              problem = "item " + idx + " bytes " + it.getLong("bytes") + " != " + expectedSize[idx];
            } else if (!expectedSha[idx].equals(it.getString("sha256"))) {
              problem = "item " + idx + " sha256 " + it.getString("sha256") + " != " + expectedSha[idx];
            }
          }
          if (problem == null) {
            succeeded.incrementAndGet();
          } else {
            badItems.incrementAndGet();
            first.compareAndSet(null, "job " + job + ": " + problem);
          }
        }
        cursor = page.getString("next");
      } while (cursor != null);
      for (int i = 0; i < seen.length; i++) {
        if (!seen[i]) {
          badItems.incrementAndGet();
          first.compareAndSet(null, "job " + job + ": item " + i + " missing from the items API");
        }
      }
      if (checkFiles) {
        Path dir = data.resolve("files").resolve(job);
        // a body is stored as <index>, or <index>.<attempt> when its job was claimed from a shared queue
        java.util.Map<Integer, Path> stored = new java.util.concurrent.ConcurrentHashMap<>();
        if (Files.isDirectory(dir)) {
          try (java.util.stream.Stream<Path> list = Files.list(dir)) {
            list.forEach(p -> {
              String name = p.getFileName().toString();
              int dot = name.indexOf('.');
              try {
                stored.put(Integer.parseInt(dot < 0 ? name : name.substring(0, dot)), p);
              } catch (NumberFormatException e) {
                // not a body
              }
            });
          }
        }
        IntStream.range(0, urls.size()).parallel().forEach(i -> {
          // since issue 15 bodies are stored by content (bodies/sha256/<2 hex>/<sha256>); earlier builds kept
          // files/<job>/<index>[.<attempt>]
          Path byContent = data.resolve("bodies").resolve("sha256").resolve(expectedSha[i].substring(0, 2))
              .resolve(expectedSha[i]);
          Path f = Files.exists(byContent) ? byContent : stored.getOrDefault(i, dir.resolve(Integer.toString(i)));
          String problem = null;
          try {
            long size = Files.size(f);
            if (size != expectedSize[i]) {
              problem = "file " + f + " size " + size + " != " + expectedSize[i];
            } else if (!expectedSha[i].equals(sha256(f))) {
              problem = "file " + f + " sha256 differs";
            }
          } catch (Exception e) {
            problem = "file " + f + ": " + e;
          }
          filesChecked.incrementAndGet();
          if (problem != null) {
            badFiles.incrementAndGet();
            first.compareAndSet(null, problem);
          }
        });
      }
    }
    String fp = first.get();
    System.out.println("{\"items\":" + items.get() + ",\"succeeded\":" + succeeded.get() + ",\"bad_items\":"
        + badItems.get() + ",\"files_checked\":" + filesChecked.get() + ",\"bad_files\":" + badFiles.get()
        + ",\"first_problem\":" + (fp == null ? "null" : new JsonArray().add(fp).encode().replaceAll("^\\[|\\]$", ""))
        + "}");
  }

  private static String sha256(Path f) throws Exception {
    MessageDigest md = Bodies.digest();
    byte[] buf = new byte[64 * 1024];
    try (InputStream in = Files.newInputStream(f)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest());
  }
}
