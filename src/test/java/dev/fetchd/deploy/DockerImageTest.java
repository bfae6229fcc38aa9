package dev.fetchd.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.command.HealthState;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * Builds the image from the repository's Dockerfile, runs it the way the Helm chart and docker-compose.yml
 * do (read-only root, /tmp as tmpfs, no capabilities), submits a download job and reads /metrics.
 * Needs a Docker engine; without one it is skipped, not failed.
 */
@Timeout(value = 20, unit = TimeUnit.MINUTES)
class DockerImageTest {
  static final int PORT = 8080;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void imageRunsAJobAsNonRootAndStopsOnSigterm() throws Exception {
    Assumptions.assumeTrue(DockerClientFactory.instance().isDockerAvailable(),
        "No Docker engine reachable (DOCKER_HOST, /var/run/docker.sock): skipping the image test. "
            + "Start Docker to build the image from the Dockerfile and run it.");
    ImageFromDockerfile image = new ImageFromDockerfile("fetchd-image-test", true)
        .withDockerfile(Path.of("Dockerfile").toAbsolutePath());   // context: the project root, .dockerignore applies
    try (GenericContainer<?> fetchd = new GenericContainer<>(image)
        .withExposedPorts(PORT)
        // The job fetches from fetchd itself on loopback, which is refused unless allowed.
        .withEnv("FETCHD_ALLOW_PRIVATE_NETWORKS", "true")
        .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig()
            .withReadonlyRootfs(true)
            .withTmpFs(Map.of("/tmp", "rw,size=256m"))
            .withCapDrop(Capability.ALL))
        .waitingFor(Wait.forHttp("/health/ready").forPort(PORT).forStatusCode(200))
        .withStartupTimeout(Duration.ofMinutes(2))) {
      fetchd.start();
      String base = "http://" + fetchd.getHost() + ":" + fetchd.getMappedPort(PORT);

      assertThat(fetchd.execInContainer("id", "-u").getStdout().trim()).isEqualTo("10001");

      HttpResponse<String> submitted = send(HttpRequest.newBuilder(URI.create(base + "/jobs"))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(
              "{\"type\":\"download\",\"urls\":[\"http://127.0.0.1:" + PORT + "/openapi.yaml\"]}")));
      assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
      String id = new JsonObject(submitted.body()).getString("id");

      JsonObject job = new JsonObject(send(HttpRequest.newBuilder(URI.create(base + "/jobs/" + id + "?wait=60"))
          .GET()).body());
      assertThat(job.getString("state")).as(job.encode()).isEqualTo("completed");
      assertThat(job.getJsonObject("progress").getLong("succeeded")).as(job.encode()).isEqualTo(1L);

      String metrics = send(HttpRequest.newBuilder(URI.create(base + "/metrics")).GET()).body();
      assertThat(metrics)
          .containsPattern("(?m)^fetchd_jobs_submitted_total(\\{[^}]*})? 1(\\.0)?$")
          .containsPattern("(?m)^fetchd_fetch_duration_seconds_count\\{[^}]*outcome=\"success\"[^}]*} 1(\\.0)?$")
          .contains("fetchd_queue_capacity");

      assertThat(healthStatusWithin(fetchd, Duration.ofSeconds(90))).as("Docker HEALTHCHECK").contains("healthy");

      // Exec-form ENTRYPOINT: SIGTERM reaches the JVM, which shuts down at once when idle. With a shell
      // in between, docker would wait the whole timeout and then kill it.
      long started = System.nanoTime();
      fetchd.getDockerClient().stopContainerCmd(fetchd.getContainerId()).withTimeout(60).exec();
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(30));
    }
  }

  /** What can be checked without an engine: the rules the image test would otherwise catch at run time. */
  @Test
  void dockerfileRunsTheJvmDirectlyAsNonRootWithAHealthCheck() throws Exception {
    String dockerfile = Files.readString(Path.of("Dockerfile"));
    String runtime = dockerfile.substring(dockerfile.lastIndexOf("\nFROM "));
    assertThat(dockerfile).containsPattern("(?m)^FROM maven:3\\.9-eclipse-temurin-17 AS build$");
    assertThat(runtime)
        .containsPattern("(?m)^FROM eclipse-temurin:17-jre$")
        .containsPattern("(?m)^USER 10001(:10001)?$")
        .containsPattern("(?m)^EXPOSE " + PORT + "$")
        .containsPattern("(?m)^VOLUME \\[\"/data\"]$")
        .contains("FETCHD_DATA_DIR=/data")
        .contains("-XX:MaxRAMPercentage=75")
        .containsPattern("(?s)\\nHEALTHCHECK .*?CMD \\[.*?/health/live")
        // exec form: no shell between docker and the JVM, so SIGTERM reaches fetchd
        .containsPattern("(?m)^ENTRYPOINT \\[\"java\", .*\"-jar\", \"/app/fetchd.jar\"]$");
  }

  @Test
  void dockerignoreKeepsWhatTheBuildNeeds() throws Exception {
    List<String> ignored = Files.readAllLines(Path.of(".dockerignore")).stream()
        .map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    assertThat(ignored).contains("target", ".git")
        .doesNotContain("src", "pom.xml", "openapi.yaml", "Dockerfile", "*", "**");
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.timeout(Duration.ofSeconds(90)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static Optional<String> healthStatusWithin(GenericContainer<?> container, Duration limit)
      throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    String status = null;
    while (System.nanoTime() < deadline) {
      HealthState health = container.getDockerClient().inspectContainerCmd(container.getContainerId()).exec()
          .getState().getHealth();
      status = health == null ? null : health.getStatus();
      if ("healthy".equals(status) || "unhealthy".equals(status)) {
        break;
      }
      Thread.sleep(1000);
    }
    return Optional.ofNullable(status);
  }
}
