package io.sieve.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.config.SieveConfig;
import io.sieve.stream.SieveMetrics;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Clients that send their requests slowly hold API threads, never the probes'. */
class SlowClientsTest {

  @TempDir Path stateDir;

  @Test
  void shouldAnswerTheProbesWhileSlowClientsHoldEveryApiThread() throws Exception {
    // Given a REST server with a probe listener, over an app that is not started
    Map<String, Object> props = new HashMap<>();
    props.put(SieveConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1");
    props.put(SieveConfig.SCHEMA_REGISTRY_URL_CONFIG, "http://unused");
    props.put(SieveConfig.REST_PORT_CONFIG, 0);
    props.put(SieveConfig.REST_PROBE_PORT_CONFIG, 0);
    props.put(SieveConfig.REST_TOKEN_CONFIG, "secret");
    SieveConfig config = new SieveConfig(props);
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream("in", Consumed.with(Serdes.String(), Serdes.String()));
    Properties streamsProps = new Properties();
    streamsProps.put(StreamsConfig.APPLICATION_ID_CONFIG, "slow-clients");
    streamsProps.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1");
    streamsProps.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    List<Socket> slow = new ArrayList<>();
    try (KafkaStreams streams = new KafkaStreams(builder.build(), streamsProps)) {
      QueryServer server = QueryServer.bind(config);
      try {
        server.start(streams, new SieveMetrics());
        // When twenty clients each send half a request line to the API port and wait
        for (int i = 0; i < 20; i++) {
          Socket s = new Socket(server.url().getHost(), server.url().getPort());
          OutputStream out = s.getOutputStream();
          out.write("GET /health HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
          out.flush();
          slow.add(s);
        }

        // Then the probe listener still answers /health and /ready, without a token
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
        URI probes = server.probeUrl();
        HttpResponse<String> health =
            http.send(
                HttpRequest.newBuilder(probes.resolve("/health"))
                    .timeout(Duration.ofSeconds(30))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"status\":\"UP\"");
        HttpResponse<String> ready =
            http.send(
                HttpRequest.newBuilder(probes.resolve("/ready"))
                    .timeout(Duration.ofSeconds(30))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(ready.statusCode()).as("not RUNNING: not ready, but answered").isEqualTo(503);
        // and it serves nothing else
        HttpResponse<String> clusters =
            http.send(
                HttpRequest.newBuilder(probes.resolve("/clusters"))
                    .timeout(Duration.ofSeconds(30))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(clusters.statusCode()).isEqualTo(404);
      } finally {
        for (Socket s : slow) {
          s.close();
        }
        server.close();
      }
    }
  }
}
