package io.sieve.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code sieve local} relies on when it is started again on its directory: the broker keeps
 * its topics and its address when the port is free (and moves when it is not), and the registry
 * keeps its schemas under the same ids.
 */
class RestartOnTheSameDirIT {

  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path temp;

  @Test
  void shouldKeepTopicsAndAddressOfABrokerStartedAgainOnItsDataDir() throws Exception {
    Path data = temp.resolve("kafka");
    int port;
    int controller;
    try (EmbeddedKafka kafka = EmbeddedKafka.start(data, Map.of())) {
      kafka.createTopic("kept", 2, Map.of());
      port = kafka.port();
      controller = kafka.controllerPort();
    }

    // Given the ports are free, a second start takes them again and finds the topic
    try (EmbeddedKafka again = EmbeddedKafka.start(data, Map.of(), port, controller)) {
      assertThat(again.port()).isEqualTo(port);
      assertThat(again.bootstrapServers()).isEqualTo(EmbeddedKafka.HOST + ":" + port);
      try (var admin = again.newAdmin()) {
        assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).contains("kept");
      }
    }

    // Given another process holds the broker port, a third start moves and still has the topic
    try (ServerSocket taken = new ServerSocket(port, 1, InetAddress.getByName(EmbeddedKafka.HOST));
        EmbeddedKafka moved = EmbeddedKafka.start(data, Map.of(), port, controller)) {
      assertThat(taken.isBound()).isTrue();
      assertThat(moved.port()).isNotEqualTo(port);
      try (var admin = moved.newAdmin()) {
        assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).contains("kept");
      }
    }
  }

  @Test
  void shouldServeTheSameSchemaIdsAfterARestartOnItsStorage() throws Exception {
    Path storage = temp.resolve("registry");
    Path log = temp.resolve("registry.log");
    int first;
    int second;
    try (RegistryServer registry = RegistryServer.start(RegistryServer.locate(), log, 0, storage)) {
      first = register(registry, "a-value", record("A"));
      second = register(registry, "b-value", record("B"));
    }

    try (RegistryServer again = RegistryServer.start(RegistryServer.locate(), log, 0, storage)) {
      assertThat(get(again, "/schemas/ids/" + second).path("schema").asText()).contains("\"B\"");
      assertThat(get(again, "/schemas/ids/" + first).path("schema").asText()).contains("\"A\"");
      // registering the same schema again gives its old id; a new one gets a new id
      assertThat(register(again, "a-value", record("A"))).isEqualTo(first);
      assertThat(register(again, "c-value", record("C"))).isNotIn(first, second);
    }
  }

  @Test
  void shouldStopARegistryLeftRunningOnItsStorageByAKilledParent() throws Exception {
    Path storage = temp.resolve("registry");
    Path log = temp.resolve("registry.log");
    // Given a server whose parent never stopped it (as after SIGKILL of `sieve local`)
    RegistryServer orphan = RegistryServer.start(RegistryServer.locate(), log, 0, storage);
    int id = register(orphan, "a-value", record("A"));
    ProcessHandle orphanProcess = ProcessHandle.of(orphan.pid()).orElseThrow();

    // When a new server starts on the same storage
    try (RegistryServer again = RegistryServer.start(RegistryServer.locate(), log, 0, storage)) {
      // Then the old one is gone and the new one has the database, with its schemas
      assertThat(orphanProcess.isAlive()).isFalse();
      assertThat(get(again, "/schemas/ids/" + id).path("schema").asText()).contains("\"A\"");
    } finally {
      orphan.close();
    }
  }

  private static String record(String name) {
    return "{\"type\":\"record\",\"name\":\""
        + name
        + "\",\"fields\":[{\"name\":\"x\",\"type\":\"int\"}]}";
  }

  private static int register(RegistryServer registry, String subject, String schema)
      throws Exception {
    String body = JSON.writeValueAsString(Map.of("schema", schema));
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create(registry.url() + "/subjects/" + subject + "/versions"))
                .header("Content-Type", CONTENT_TYPE)
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .timeout(Duration.ofSeconds(30))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body()).path("id").asInt();
  }

  private static JsonNode get(RegistryServer registry, String path) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(registry.url() + path))
                .timeout(Duration.ofSeconds(30))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }
}
