package io.sieve.it;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import io.sieve.app.SieveService;
import io.sieve.config.SieveConfig;
import io.sieve.embedded.EmbeddedKafka;
import io.sieve.embedded.RegistryServer;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Starts a service on the embedded broker with every kind of secret set to a marker value, captures
 * everything logged while it starts, serves and stops, and finds no marker in it.
 */
class SecretsNotLoggedIT {

  private static final String MARK = "m4rk3r" + UUID.randomUUID().toString().substring(0, 8);
  private static final Map<String, String> SECRETS =
      Map.of(
          "sasl.jaas.config",
          "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\""
              + " password=\""
              + MARK
              + "-jaas\";",
          "ssl.keystore.password",
          MARK + "-keystore",
          "ssl.key.password",
          MARK + "-key",
          "ssl.truststore.password",
          MARK + "-truststore",
          SieveConfig.SCHEMA_REGISTRY_AUTH_CONFIG,
          "sieve:" + MARK + "-registry",
          SieveConfig.REST_TOKEN_CONFIG,
          MARK + "-rest");

  @TempDir Path temp;

  @Test
  void noSecretAppearsInTheLogs() throws Exception {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    Logger kafkaClients = (Logger) LoggerFactory.getLogger("org.apache.kafka");
    Logger sieve = (Logger) LoggerFactory.getLogger("io.sieve");
    Level kafkaLevel = kafkaClients.getLevel();
    Level sieveLevel = sieve.getLevel();
    ListAppender<ILoggingEvent> captured = new ListAppender<>();
    captured.start();
    List<ILoggingEvent> events;
    try (EmbeddedKafka kafka = EmbeddedKafka.start(null, Map.of());
        RegistryServer registry =
            RegistryServer.start(RegistryServer.locate(), temp.resolve("registry.log"))) {
      // Given Kafka's client config dumps (INFO) and all of Sieve's logging (DEBUG) captured
      kafkaClients.setLevel(Level.INFO);
      sieve.setLevel(Level.DEBUG);
      root.addAppender(captured);
      // and a service whose secrets are marker values (PLAINTEXT, so the broker still accepts it)
      Map<String, Object> props = new HashMap<>(SECRETS);
      props.put("security.protocol", "PLAINTEXT");
      props.putAll(
          ItConfigs.isolated(
              "secrets", kafka.bootstrapServers(), registry.url(), temp.resolve("state")));
      props.put(SieveConfig.REST_ENABLED_CONFIG, true);
      props.put(SieveConfig.REST_PORT_CONFIG, 0);

      // When it starts, answers a query with and without its token, and stops
      try (SieveService service = new SieveService(new SieveConfig(props)).start()) {
        assertThat(service.awaitRunning(Duration.ofSeconds(60))).isTrue();
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest.Builder request =
            HttpRequest.newBuilder(service.restUrl().resolve("/clusters"))
                .timeout(Duration.ofSeconds(30));
        int withToken =
            http.send(
                    request.copy().header("Authorization", "Bearer " + MARK + "-rest").build(),
                    HttpResponse.BodyHandlers.discarding())
                .statusCode();
        int without =
            http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        assertThat(withToken).isEqualTo(200);
        assertThat(without).isEqualTo(401);
      }
    } finally {
      root.detachAppender(captured);
      kafkaClients.setLevel(kafkaLevel);
      sieve.setLevel(sieveLevel);
      captured.stop();
    }
    events = new ArrayList<>(captured.list);

    // Then the capture saw the clients' configuration dumps, which name the secret keys
    assertThat(events)
        .anySatisfy(e -> assertThat(e.getFormattedMessage()).contains("sasl.jaas.config"));
    assertThat(events)
        .anySatisfy(e -> assertThat(e.getFormattedMessage()).contains("ssl.truststore.password"));
    // and no event, message or stack trace, carries any secret value
    for (ILoggingEvent e : events) {
      String text =
          e.getFormattedMessage()
              + (e.getThrowableProxy() == null
                  ? ""
                  : ThrowableProxyUtil.asString(e.getThrowableProxy()));
      assertThat(text).as("%s %s", e.getLevel(), e.getLoggerName()).doesNotContain(MARK);
    }
  }
}
