package io.sieve.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.sieve.avro.TrainingBatch;
import io.sieve.avro.TrainingExample;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RestSchemaRegistryTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PASSWORD = "s3cret-pa55";

  private HttpServer server;
  private String baseUrl;
  private final AtomicInteger requests = new AtomicInteger();
  private final List<String> paths = new CopyOnWriteArrayList<>();
  private final List<String> authorizations = new CopyOnWriteArrayList<>();
  private final List<String> contentTypes = new CopyOnWriteArrayList<>();
  private final Map<String, Integer> idsBySchema = new ConcurrentHashMap<>();
  private final Map<Integer, String> schemasById = new ConcurrentHashMap<>();
  private final AtomicInteger failuresToServe = new AtomicInteger();
  private volatile String compatibility = "BACKWARD";

  @BeforeEach
  void startServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/apis/ccompat/v7", this::handle);
    server.start();
    baseUrl = "http://127.0.0.1:" + server.getAddress().getPort() + "/apis/ccompat/v7";
  }

  @AfterEach
  void stopServer() {
    server.stop(0);
  }

  /** Imitates the registry's register, fetch-by-id and config endpoints. */
  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      requests.incrementAndGet();
      String path = exchange.getRequestURI().getRawPath().substring("/apis/ccompat/v7".length());
      paths.add(exchange.getRequestMethod() + " " + path);
      String auth = exchange.getRequestHeaders().getFirst("Authorization");
      authorizations.add(auth == null ? "" : auth);
      String type = exchange.getRequestHeaders().getFirst("Content-Type");
      contentTypes.add(type == null ? "" : type);
      byte[] in = exchange.getRequestBody().readAllBytes();
      if (failuresToServe.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        reply(exchange, 503, "{\"error_code\":50301,\"message\":\"try later\"}");
        return;
      }
      if (exchange.getRequestMethod().equals("POST")
          && path.startsWith("/subjects/")
          && path.endsWith("/versions")) {
        String subject =
            path.substring("/subjects/".length(), path.length() - "/versions".length());
        if (subject.startsWith("incompatible")) {
          reply(
              exchange,
              409,
              "{\"error_code\":409,\"message\":\"Schema being registered is incompatible\"}");
          return;
        }
        if (subject.startsWith("racing")) {
          reply(
              exchange,
              409,
              "{\"error_code\":409,\"message\":\"An artifact with ID '"
                  + subject
                  + "' in group 'null' already exists.\"}");
          return;
        }
        if (subject.startsWith("invalid")) {
          reply(exchange, 422, "{\"error_code\":42201,\"message\":\"Invalid schema\"}");
          return;
        }
        String schema = JSON.readTree(in).get("schema").asText();
        int id =
            idsBySchema.computeIfAbsent(
                schema,
                s -> {
                  int next = schemasById.size() + 1;
                  schemasById.put(next, s);
                  return next;
                });
        reply(exchange, 200, "{\"id\":" + id + "}");
      } else if (exchange.getRequestMethod().equals("POST") && path.startsWith("/subjects/")) {
        // look-up of a registered schema: the racing subject has it, others do not
        if (path.startsWith("/subjects/racing")) {
          String schema = JSON.readTree(in).get("schema").asText();
          int id = idsBySchema.computeIfAbsent(schema, x -> 7);
          schemasById.put(id, schema);
          reply(exchange, 200, "{\"id\":" + id + ",\"version\":1}");
        } else {
          reply(exchange, 404, "{\"error_code\":40403,\"message\":\"Schema not found\"}");
        }
      } else if (exchange.getRequestMethod().equals("GET") && path.startsWith("/schemas/ids/")) {
        String schema = schemasById.get(Integer.parseInt(path.substring("/schemas/ids/".length())));
        if (schema == null) {
          reply(exchange, 404, "{\"error_code\":40403,\"message\":\"Schema not found\"}");
        } else {
          reply(exchange, 200, JSON.writeValueAsString(Map.of("schema", schema)));
        }
      } else if (path.equals("/config") && exchange.getRequestMethod().equals("PUT")) {
        compatibility = JSON.readTree(in).get("compatibility").asText();
        reply(exchange, 200, JSON.writeValueAsString(Map.of("compatibility", compatibility)));
      } else if (path.equals("/config") && exchange.getRequestMethod().equals("GET")) {
        reply(exchange, 200, JSON.writeValueAsString(Map.of("compatibilityLevel", compatibility)));
      } else {
        reply(exchange, 404, "{\"error_code\":404,\"message\":\"HTTP 404 Not Found\"}");
      }
    }
  }

  private static void reply(HttpExchange exchange, int status, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/vnd.schemaregistry.v1+json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private RestSchemaRegistry client() {
    return new RestSchemaRegistry(
        RestSchemaRegistry.Options.builder(baseUrl)
            .maxAttempts(3)
            .backoff(Duration.ofMillis(5))
            .requestTimeout(Duration.ofSeconds(5))
            .build());
  }

  @Test
  void registersAndCachesTheId() {
    RestSchemaRegistry registry = client();
    Schema schema = TrainingExample.getClassSchema();

    int id = registry.register("sieve.examples-value", schema);
    int again = registry.register("sieve.examples-value", schema);

    assertThat(id).isEqualTo(1);
    assertThat(again).isEqualTo(id);
    assertThat(requests.get()).isEqualTo(1);
    assertThat(paths).containsExactly("POST /subjects/sieve.examples-value/versions");
    assertThat(contentTypes).containsExactly("application/vnd.schemaregistry.v1+json");
    assertThat(registry.register("sieve.batches.t1-value", TrainingBatch.getClassSchema()))
        .isEqualTo(2);
    assertThat(requests.get()).isEqualTo(2);
  }

  @Test
  void fetchesSchemasByIdAndCachesThem() {
    Schema schema = TrainingExample.getClassSchema();
    int id = client().register("sieve.examples-value", schema);
    RestSchemaRegistry registry = client();

    assertThat(registry.schemaById(id)).isEqualTo(schema);
    assertThat(registry.schemaById(id)).isEqualTo(schema);
    assertThat(requests.get()).isEqualTo(2);
    assertThat(paths).last().isEqualTo("GET /schemas/ids/" + id);
  }

  @Test
  void registeringMakesTheSchemaAvailableByIdWithoutAnotherCall() {
    RestSchemaRegistry registry = client();
    int id = registry.register("sieve.examples-value", TrainingExample.getClassSchema());
    assertThat(registry.schemaById(id)).isEqualTo(TrainingExample.getClassSchema());
    assertThat(requests.get()).isEqualTo(1);
  }

  @Test
  void encodesTheSubject() {
    client().register("odd subject/with+chars-value", TrainingExample.getClassSchema());
    assertThat(paths).containsExactly("POST /subjects/odd%20subject%2Fwith%2Bchars-value/versions");
  }

  @Test
  void registrationThatRacesAnotherClientFindsTheSchemaAlreadyRegistered() {
    // Given a registry that answers 409 "already exists" to a concurrent first registration
    RestSchemaRegistry registry = client();
    // When the schema is registered
    int id = registry.register("racing-value", TrainingExample.getClassSchema());
    // Then the client looks it up and gets its id
    assertThat(id).isEqualTo(7);
    assertThat(paths)
        .containsExactly("POST /subjects/racing-value/versions", "POST /subjects/racing-value");
  }

  @Test
  void rejectionNamesTheSubjectStatusAndBodyAfterBoundedChecks() {
    RestSchemaRegistry registry = client();
    assertThatThrownBy(
            () -> registry.register("incompatible-value", TrainingExample.getClassSchema()))
        .isInstanceOf(SchemaRegistryException.class)
        .hasMessageContaining(baseUrl + "/subjects/incompatible-value/versions")
        .hasMessageContaining("subject 'incompatible-value'")
        .hasMessageContaining("HTTP 409")
        .hasMessageContaining("Schema being registered is incompatible")
        .satisfies(e -> assertThat(((SchemaRegistryException) e).statusCode()).isEqualTo(409));
    // a 409 may be a race: look-ups and registrations alternate three more times, then it fails
    assertThat(paths).hasSize(7).first().isEqualTo("POST /subjects/incompatible-value/versions");
    assertThat(paths)
        .containsOnly(
            "POST /subjects/incompatible-value/versions", "POST /subjects/incompatible-value");

    assertThatThrownBy(() -> registry.register("invalid-value", TrainingExample.getClassSchema()))
        .isInstanceOf(SchemaRegistryException.class)
        .hasMessageContaining("invalid-value")
        .hasMessageContaining("HTTP 422")
        .hasMessageContaining("Invalid schema");
    assertThat(requests.get()).isEqualTo(8);
  }

  @Test
  void unknownIdNamesTheIdAndStatus() {
    assertThatThrownBy(() -> client().schemaById(77))
        .isInstanceOf(SchemaRegistryException.class)
        .hasMessageContaining("schema id 77")
        .hasMessageContaining("HTTP 404")
        .hasMessageContaining("Schema not found");
  }

  @Test
  void retriesServerErrors() {
    failuresToServe.set(2);
    int id = client().register("sieve.examples-value", TrainingExample.getClassSchema());
    assertThat(id).isEqualTo(1);
    assertThat(requests.get()).isEqualTo(3);
  }

  @Test
  void givesUpOnServerErrorsAfterBoundedAttempts() {
    failuresToServe.set(100);
    assertThatThrownBy(
            () -> client().register("sieve.examples-value", TrainingExample.getClassSchema()))
        .isInstanceOf(SchemaRegistryException.class)
        .hasMessageContaining("after 3 attempts")
        .hasMessageContaining("HTTP 503")
        .hasMessageContaining("try later");
    assertThat(requests.get()).isEqualTo(3);
  }

  @Test
  void sendsBasicAuthAndNeverRevealsThePassword() {
    RestSchemaRegistry registry =
        new RestSchemaRegistry(
            RestSchemaRegistry.Options.builder(baseUrl)
                .basicAuth("alice:" + PASSWORD)
                .maxAttempts(1)
                .build());
    String encoded =
        Base64.getEncoder().encodeToString(("alice:" + PASSWORD).getBytes(StandardCharsets.UTF_8));

    registry.register("sieve.examples-value", TrainingExample.getClassSchema());
    assertThat(authorizations).containsExactly("Basic " + encoded);

    assertThatThrownBy(
            () -> registry.register("incompatible-value", Schema.create(Schema.Type.INT)))
        .isInstanceOf(SchemaRegistryException.class)
        .satisfies(
            e -> {
              assertThat(e.getMessage()).doesNotContain(PASSWORD).doesNotContain(encoded);
              assertThat(String.valueOf(e)).doesNotContain(PASSWORD);
            });
    assertThat(registry.toString()).doesNotContain(PASSWORD).doesNotContain(encoded);
    assertThat(registry.options().toString()).doesNotContain(PASSWORD).contains("<redacted>");
  }

  @Test
  void takesCredentialsFromTheUrlWithoutKeepingThemInIt() {
    String url = baseUrl.replace("http://", "http://bob:" + PASSWORD + "@");
    RestSchemaRegistry registry =
        new RestSchemaRegistry(RestSchemaRegistry.Options.builder(url).maxAttempts(1).build());

    registry.register("sieve.examples-value", TrainingExample.getClassSchema());

    String encoded =
        Base64.getEncoder().encodeToString(("bob:" + PASSWORD).getBytes(StandardCharsets.UTF_8));
    assertThat(authorizations).containsExactly("Basic " + encoded);
    assertThat(registry.options().baseUrl()).isEqualTo(baseUrl);
    assertThat(registry.toString()).doesNotContain(PASSWORD);
  }

  @Test
  void unreachableRegistryFailsClearlyAfterBoundedRetries() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    String url = "http://127.0.0.1:" + port + "/apis/ccompat/v7";
    RestSchemaRegistry registry =
        new RestSchemaRegistry(
            RestSchemaRegistry.Options.builder(url)
                .basicAuth("alice:" + PASSWORD)
                .maxAttempts(3)
                .backoff(Duration.ofMillis(1))
                .build());

    long start = System.nanoTime();
    assertThatThrownBy(
            () -> registry.register("sieve.examples-value", TrainingExample.getClassSchema()))
        .isInstanceOf(SchemaRegistryException.class)
        .hasMessageContaining("schema registry at " + url + " is unreachable after 3 attempts")
        .hasMessageContaining("sieve.examples-value")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(PASSWORD));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void readsAndSetsTheCompatibilityLevel() {
    RestSchemaRegistry registry = client();
    assertThat(registry.compatibility()).isEqualTo("BACKWARD");
    registry.setCompatibility("FULL");
    assertThat(registry.compatibility()).isEqualTo("FULL");
    assertThat(paths).containsExactly("GET /config", "PUT /config", "GET /config");
  }

  @Test
  void acceptsACustomSslContext() throws Exception {
    RestSchemaRegistry registry =
        new RestSchemaRegistry(
            RestSchemaRegistry.Options.builder(baseUrl)
                .sslContext(javax.net.ssl.SSLContext.getDefault())
                .build());
    assertThat(registry.toString()).contains("tls=custom");
    assertThat(registry.register("sieve.examples-value", TrainingExample.getClassSchema()))
        .isEqualTo(1);
  }

  @Test
  void rejectsBadOptions() {
    assertThatThrownBy(() -> RestSchemaRegistry.Options.of("ftp://x"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RestSchemaRegistry.Options.of("http://u:" + PASSWORD + "@h st/"))
        .isInstanceOf(IllegalArgumentException.class)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(PASSWORD));
    assertThatThrownBy(
            () -> RestSchemaRegistry.Options.builder("http://x").basicAuth("nocolon").build())
        .isInstanceOf(IllegalArgumentException.class)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("nocolon"));
    assertThatThrownBy(() -> RestSchemaRegistry.Options.builder("http://x").maxAttempts(0).build())
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(RestSchemaRegistry.Options.of("http://x:8081/").baseUrl())
        .isEqualTo("http://x:8081");
  }
}
