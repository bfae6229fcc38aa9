package dev.fetchd.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.fetchd.client.ApiClient;
import dev.fetchd.client.ApiException;
import dev.fetchd.client.ApiResponse;
import dev.fetchd.client.api.ItemsApi;
import dev.fetchd.client.api.JobsApi;
import dev.fetchd.client.api.OperationsApi;
import dev.fetchd.client.model.Item;
import dev.fetchd.client.model.ItemPage;
import dev.fetchd.client.model.ItemState;
import dev.fetchd.client.model.Job;
import dev.fetchd.client.model.JobState;
import dev.fetchd.client.model.JobSubmission;
import dev.fetchd.client.model.Limits;
import dev.fetchd.client.model.Problem;
import dev.fetchd.testkit.RunningService;
import dev.fetchd.testkit.TargetServer;
import java.io.File;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The README's tour, through the Java client OpenAPI Generator makes from openapi.yaml (generator {@code java},
 * library {@code native}; generated in generate-test-sources, see pom.xml), against a real fetchd: if the
 * contract says something the service does not do, or a type a client cannot read, this fails.
 */
class GeneratedClientTest {
  static final Set<JobState> TERMINAL = Set.of(JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED,
      JobState.TIMED_OUT);
  static TargetServer target;
  static RunningService fetchd;
  static ApiClient client;

  @BeforeAll
  static void start() {
    target = TargetServer.start();
    fetchd = RunningService.start();
    client = new ApiClient();
    client.updateBaseUri(fetchd.baseUrl());
    client.setReadTimeout(Duration.ofSeconds(30));
  }

  @AfterAll
  static void stop() {
    fetchd.close();
    target.close();
  }

  @Test
  void theTourSubmitPollListReadCancelAndAProblem() throws Exception {
    JobsApi jobs = new JobsApi(client);
    ItemsApi items = new ItemsApi(client);

    // submit: the answer is the job as it is now, queued or already running
    List<String> urls = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      urls.add(target.url("/bytes/tour-" + i + "?size=" + (1000 + i)));
    }
    Job job = jobs.submitJob(new JobSubmission().type(JobSubmission.TypeEnum.DOWNLOAD).urls(urls)
        .limits(new Limits().concurrency(2).retries(1)).labels(Map.of("team", "docs")), null);
    assertThat(job.getState()).isIn(JobState.QUEUED, JobState.RUNNING);
    assertThat(job.getSpec().getUrlCount()).isEqualTo(5);

    // poll to completion with the long poll
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!TERMINAL.contains(job.getState())) {
      assertThat(System.nanoTime()).as("job finished in time").isLessThan(deadline);
      job = jobs.getJob(job.getId(), 10);
    }
    assertThat(job.getState()).isEqualTo(JobState.COMPLETED);
    assertThat(job.getProgress().getSucceeded()).isEqualTo(5);
    assertThat(job.getFinishedAt()).isNotNull();

    // list the items two at a time, following the cursor
    List<Item> all = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      ItemPage page = items.listItems(job.getId(), ItemState.SUCCEEDED, 2, cursor);
      all.addAll(page.getItems());
      cursor = page.getNext();
      pages++;
    } while (cursor != null);
    assertThat(pages).isGreaterThanOrEqualTo(3);
    assertThat(all).extracting(Item::getIndex).containsExactly(0, 1, 2, 3, 4);

    // read a body: the client hands it over as a file, byte for byte
    Item third = all.get(2);
    File body = items.getItemContent(job.getId(), third.getIndex(), null, null, null, null);
    assertThat(TargetServer.sha256Hex(Files.readAllBytes(body.toPath())))
        .isEqualTo(third.getSha256()).isEqualTo(TargetServer.sha256("tour-2", 1002));
    ApiResponse<File> part = items.getItemContentWithHttpInfo(job.getId(), 2, "bytes=0-9", null, null, null);
    assertThat(part.getStatusCode()).isEqualTo(206);
    assertThat(Files.readAllBytes(part.getData().toPath())).hasSize(10);
    items.headItemContent(job.getId(), 2, null, null);

    // the event stream of a finished job: its terminal state, then the end
    File events = jobs.getJobEvents(job.getId(), null);
    assertThat(Files.readString(events.toPath())).contains("event: state", "\"state\":\"completed\"");
    // many jobs on one stream (?jobs=a,b): the finished one's state, the unknown one missing, then the end
    File many = jobs.followJobs(new java.util.LinkedHashSet<>(List.of(job.getId(), "no-such-job")), null);
    assertThat(Files.readString(many.toPath()))
        .contains("\"jobId\":\"" + job.getId() + "\",\"state\":\"completed\"", "event: missing", "\"jobId\":\"no-such-job\"");

    // cancel a job that cannot finish on its own
    Job stalled = jobs.submitJob(new JobSubmission().type(JobSubmission.TypeEnum.DOWNLOAD)
        .urls(List.of(target.url("/stall"))), null);
    Job cancelled = jobs.cancelJob(stalled.getId());
    assertThat(cancelled.getState()).isEqualTo(JobState.CANCELLED);

    // bad input: 400 with a problem document naming the field
    ApiException bad = catchThrowableOfType(ApiException.class, () -> jobs.submitJob(new JobSubmission()
        .type(JobSubmission.TypeEnum.DOWNLOAD).urls(List.of("ftp://x/y")), null));
    assertThat(bad.getCode()).isEqualTo(400);
    Problem problem = client.getObjectMapper().readValue(bad.getResponseBody(), Problem.class);
    assertThat(problem.getStatus()).isEqualTo(400);
    assertThat(problem.getErrors()).extracting(e -> e.getField()).containsExactly("/urls/0");

    ApiException missing = catchThrowableOfType(ApiException.class, () -> jobs.getJob("no-such-job", null));
    assertThat(missing.getCode()).isEqualTo(404);
  }

  @Test
  @SuppressWarnings("unchecked")
  void theOperationsEndpointsAreReadableThroughTheClient() throws Exception {
    OperationsApi ops = new OperationsApi(client);
    assertThat(ops.getLive().getStatus().getValue()).isEqualTo("UP");
    Map<String, Object> contract = (Map<String, Object>) ops.getOpenApiJson();
    assertThat(contract).containsEntry("openapi", "3.1.0");
    assertThat(Files.readString(ops.getOpenApi().toPath())).startsWith("openapi: 3.1.0");
    assertThat(Files.readString(ops.getMetrics().toPath())).contains("fetchd_queue_depth");
  }
}
