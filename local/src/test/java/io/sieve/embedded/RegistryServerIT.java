package io.sieve.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Behaviour of {@link RegistryServer} against the real server built in registry-server/. */
class RegistryServerIT {

  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private static final String RECORD_V1 =
      """
      {"type":"record","name":"Example","namespace":"io.sieve.test","fields":[
        {"name":"id","type":"string"},
        {"name":"score","type":"double"}
      ]}""";

  /** Adds a field without a default: readers of v2 cannot read data written with v1. */
  private static final String RECORD_V2_INCOMPATIBLE =
      """
      {"type":"record","name":"Example","namespace":"io.sieve.test","fields":[
        {"name":"id","type":"string"},
        {"name":"score","type":"double"},
        {"name":"source","type":"string"}
      ]}""";

  private static RegistryServer server;

  @BeforeAll
  static void startServer() throws Exception {
    server = RegistryServer.start(RegistryServer.locate(), logFile("registry-server-it.log"));
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.close();
    }
  }

  @Test
  void registeredSchemaIsReturnedById() throws Exception {
    HttpResponse<String> registered = register("t-value", RECORD_V1);
    assertThat(registered.statusCode()).as(registered.body()).isEqualTo(200);
    JsonNode body = JSON.readTree(registered.body());
    assertThat(body.has("id")).as(registered.body()).isTrue();
    int id = body.get("id").asInt();

    HttpResponse<String> fetched = get(server.url() + "/schemas/ids/" + id);
    assertThat(fetched.statusCode()).as(fetched.body()).isEqualTo(200);
    String schema = JSON.readTree(fetched.body()).get("schema").asText();
    assertThat(new Schema.Parser().parse(schema)).isEqualTo(new Schema.Parser().parse(RECORD_V1));
  }

  @Test
  void globalCompatibilityIsBackward() throws Exception {
    HttpResponse<String> config = get(server.url() + "/config");
    assertThat(config.statusCode()).as(config.body()).isEqualTo(200);
    assertThat(JSON.readTree(config.body()).path("compatibilityLevel").asText())
        .as(config.body())
        .isEqualTo("BACKWARD");
  }

  @Test
  void incompatibleChangeIsRejected() throws Exception {
    HttpResponse<String> first = register("incompatible-value", RECORD_V1);
    assertThat(first.statusCode()).as(first.body()).isEqualTo(200);

    HttpResponse<String> second = register("incompatible-value", RECORD_V2_INCOMPATIBLE);
    assertThat(second.statusCode()).as(second.body()).isEqualTo(409);
  }

  @Test
  void closedServerNoLongerAcceptsConnections() throws Exception {
    RegistryServer own =
        RegistryServer.start(RegistryServer.locate(), logFile("registry-server-close-it.log"));
    int port = own.port();
    assertThat(canConnect(port)).isTrue();
    ProcessHandle handle = ProcessHandle.of(own.pid()).orElseThrow();

    own.close();
    own.close(); // idempotent

    assertThat(handle.isAlive()).isFalse();
    assertThatThrownBy(() -> canConnect(port)).isInstanceOf(ConnectException.class);
  }

  private static HttpResponse<String> register(String subject, String avroSchema)
      throws IOException, InterruptedException {
    String body = JSON.writeValueAsString(Map.of("schema", avroSchema));
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(server.url() + "/subjects/" + subject + "/versions"))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", CONTENT_TYPE)
            .header("Accept", CONTENT_TYPE)
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(30))
            .header("Accept", CONTENT_TYPE)
            .GET()
            .build();
    return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static boolean canConnect(int port) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
      return true;
    }
  }

  private static Path logFile(String name) {
    return Path.of("target", name);
  }
}
