package dev.fetchd.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

@Command(name = "submit", sortOptions = false,
    description = {"Submit a download job (or a crawl with --crawl) and print its id.",
        "URLs come from the arguments, from -f FILE, or from stdin with '-' (one per line; blank lines and"
            + " lines starting with # are ignored), and keep the order they are given in: 'a -f list b' submits a,"
            + " then the URLs of list, then b."})
final class SubmitCommand extends ApiCommand {
  /** Where URLs come from, in the order typed: a URL, a file of them, or stdin ({@code -}). */
  private sealed interface Source {
  }

  private record Url(String url) implements Source {
  }

  private record UrlFile(Path path) implements Source {
  }

  private record Stdin() implements Source {
  }

  private final List<Source> sources = new ArrayList<>();
  private int urlsSeen;
  private int filesSeen;

  // Setters rather than fields keep URLs and -f files interleaved as typed: picocli calls each one with the
  // whole list so far every time it adds to it, so what is past the part already seen is what was just typed.
  @Parameters(paramLabel = "URL", arity = "0..*", description = "URLs to download, or seeds to crawl; '-' reads them from stdin.")
  void urls(List<String> given) {
    for (String u : given.subList(urlsSeen, given.size())) {
      if (u.equals("-")) {
        sources.add(new Stdin());
      } else if (!u.isBlank()) {
        sources.add(new Url(u.strip()));
      }
    }
    urlsSeen = given.size();
  }

  @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "Read URLs from FILE, one per line (repeatable).")
  void files(List<Path> given) {
    for (Path f : given.subList(filesSeen, given.size())) {
      sources.add(new UrlFile(f));
    }
    filesSeen = given.size();
  }

  @Option(names = "--crawl", description = "A crawl: follow links from the URLs (the seeds) in scope.")
  boolean crawl;

  @Option(names = "--depth", paramLabel = "N", description = "Crawl: link hops to follow from the seeds.")
  Integer depth;

  @Option(names = "--pages", paramLabel = "N", description = "Crawl: pages to fetch at most.")
  Integer pages;

  @Option(names = "--concurrency", paramLabel = "N", description = "Fetches of this job in flight at once.")
  Integer concurrency;

  @Option(names = "--priority", paramLabel = "N", description = "Higher runs first among waiting jobs.")
  Integer priority;

  @Option(names = "--label", paramLabel = "KEY=VALUE", description = "A label of the job (repeatable).")
  Map<String, String> labels = new LinkedHashMap<>();

  @Option(names = {"-w", "--watch"},
      description = "Follow the job to its end with a progress bar (plain lines when not on a terminal), then"
          + " summarise its failures; the exit code then tells how it ended.")
  boolean watch;

  @Override
  public Integer call() {
    if (!crawl && (depth != null || pages != null)) {
      throw new ParameterException(spec.commandLine(), "--depth and --pages are crawl options: add --crawl");
    }
    List<String> all = collect();
    if (all.isEmpty()) {
      throw new ParameterException(spec.commandLine(), "no URLs: give URL..., -f FILE, or - to read them from stdin");
    }
    JsonObject body = new JsonObject().put("type", crawl ? "crawl" : "download").put("urls", new JsonArray(all));
    if (concurrency != null) {
      body.put("limits", new JsonObject().put("concurrency", concurrency));
    }
    if (crawl && (depth != null || pages != null)) {
      JsonObject c = new JsonObject();
      if (depth != null) {
        c.put("maxDepth", depth);
      }
      if (pages != null) {
        c.put("maxPages", pages);
      }
      body.put("crawl", c);
    }
    if (priority != null) {
      body.put("priority", priority);
    }
    if (!labels.isEmpty()) {
      body.put("labels", new JsonObject(new LinkedHashMap<>(labels)));
    }
    ApiClient api = api();
    JsonObject job = api.post("/jobs", body);
    String id = job.getString("id");
    out().println(id);
    out().flush();
    return watch ? Watch.run(env(), api, id, out(), true) : JobStates.OK;
  }

  private List<String> collect() {
    List<String> all = new ArrayList<>();
    boolean stdinRead = false;
    for (Source s : sources) {
      if (s instanceof Url u) {
        all.add(u.url());
      } else if (s instanceof UrlFile f) {
        try (Reader r = Files.newBufferedReader(f.path(), StandardCharsets.UTF_8)) {
          readLines(r, all);
        } catch (IOException e) {
          throw new CliException("cannot read " + f.path() + ": " + e.getMessage());
        }
      } else if (!stdinRead) { // a second '-' would find stdin at its end
        stdinRead = true;
        try {
          readLines(new InputStreamReader(env().stdin(), StandardCharsets.UTF_8), all);
        } catch (IOException e) {
          throw new CliException("cannot read stdin: " + e.getMessage());
        }
      }
    }
    return all;
  }

  private static void readLines(Reader reader, List<String> into) throws IOException {
    BufferedReader r = new BufferedReader(reader);
    String line;
    while ((line = r.readLine()) != null) {
      String s = line.strip();
      if (!s.isEmpty() && !s.startsWith("#")) {
        into.add(s);
      }
    }
  }
}
