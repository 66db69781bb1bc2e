package io.sieve.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.TrainerControl;
import io.sieve.config.SieveConfig;
import io.sieve.stream.SieveMetrics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The REST controls over a real HTTP server: what reaches the controls topic's writer, and what is
 * refused before it. The writer records instead of producing (the broker path is the integration
 * tests').
 */
class ControlsRestTest {

  @TempDir Path stateDir;

  private final List<TrainerControl> written = new CopyOnWriteArrayList<>();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
  private KafkaStreams streams;
  private QueryServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
    if (streams != null) {
      streams.close(Duration.ofSeconds(10));
    }
  }

  private void start(String token) {
    Map<String, Object> props = new HashMap<>();
    props.put(SieveConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1");
    props.put(SieveConfig.SCHEMA_REGISTRY_URL_CONFIG, "http://unused");
    props.put(SieveConfig.REST_PORT_CONFIG, 0);
    if (token != null) {
      props.put(SieveConfig.REST_TOKEN_CONFIG, token);
    }
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream("in", Consumed.with(Serdes.String(), Serdes.String()));
    Properties streamsProps = new Properties();
    streamsProps.put(StreamsConfig.APPLICATION_ID_CONFIG, "controls-rest");
    streamsProps.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:1");
    streamsProps.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    streams = new KafkaStreams(builder.build(), streamsProps);
    server = QueryServer.bind(new SieveConfig(props));
    server.controls(
        control -> {
          written.add(control);
          return new RecordMetadata(
              new TopicPartition("sieve.trainer-controls", 0), written.size() - 1, 0, 0L, 0, 0);
        });
    server.start(streams, new SieveMetrics());
  }

  private HttpResponse<String> send(String method, String pathAndQuery, String token)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(server.url() + pathAndQuery))
            .timeout(Duration.ofSeconds(30))
            .method(method, HttpRequest.BodyPublishers.noBody());
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void shouldWriteEachControlWithItsParameters() throws Exception {
    // Given an API with a token
    start("s3cret");

    // When each control is posted with the token
    assertThat(send("POST", "/trainers/t1/pause?reason=checkpoint", "s3cret").statusCode())
        .isEqualTo(202);
    assertThat(send("POST", "/trainers/t1/resume", "s3cret").statusCode()).isEqualTo(202);
    assertThat(send("POST", "/trainers/t1/skip?to=40", "s3cret").statusCode()).isEqualTo(202);
    assertThat(send("POST", "/trainers/t1/rewind?to=7", "s3cret").statusCode()).isEqualTo(202);
    assertThat(send("POST", "/trainers/t1/quarantine?cluster=3", "s3cret").statusCode())
        .isEqualTo(202);
    HttpResponse<String> lift = send("POST", "/trainers/t1/lift?group=lang%3Dfr", "s3cret");

    // Then each reached the writer as a control of t1, issued over REST, with its fields
    assertThat(lift.statusCode()).isEqualTo(202);
    assertThat(lift.body()).contains("\"control\":\"lift group lang=fr by rest\"", "\"offset\":5");
    assertThat(written)
        .extracting(TrainerControl::getAction)
        .containsExactly("pause", "resume", "skip", "rewind", "quarantine", "lift");
    assertThat(written).allSatisfy(c -> assertThat(c.getTrainerId()).isEqualTo("t1"));
    assertThat(written).allSatisfy(c -> assertThat(c.getIssuedBy()).isEqualTo("rest"));
    assertThat(written.get(0).getReason()).isEqualTo("checkpoint");
    assertThat(written.get(2).getSequence()).isEqualTo(40L);
    assertThat(written.get(3).getSequence()).isEqualTo(7L);
    assertThat(written.get(4).getClusterId()).isEqualTo(3);
    assertThat(written.get(5).getGroup()).isEqualTo("lang=fr");
  }

  @Test
  void shouldRefuseControlsWithoutTheTokenOrWithBadParameters() throws Exception {
    // Given an API with a token
    start("s3cret");

    // Then a control without the token, or with a wrong one, is 401
    assertThat(send("POST", "/trainers/t1/pause", null).statusCode()).isEqualTo(401);
    assertThat(send("POST", "/trainers/t1/pause", "guess").statusCode()).isEqualTo(401);
    // and a GET of a control, or a POST of a query, is 405
    assertThat(send("GET", "/trainers/t1/pause", "s3cret").statusCode()).isEqualTo(405);
    assertThat(send("POST", "/trainers/t1", "s3cret").statusCode()).isEqualTo(405);
    // and malformed parameters are 400 with the reason
    HttpResponse<String> noTo = send("POST", "/trainers/t1/skip", "s3cret");
    assertThat(noTo.statusCode()).isEqualTo(400);
    assertThat(noTo.body()).contains("skip needs a sequence");
    assertThat(send("POST", "/trainers/t1/skip?to=x", "s3cret").statusCode()).isEqualTo(400);
    assertThat(send("POST", "/trainers/t1/pause?to=3", "s3cret").statusCode()).isEqualTo(400);
    assertThat(send("POST", "/trainers/t1/quarantine?cluster=1&group=a%3Db", "s3cret").statusCode())
        .isEqualTo(400);
    assertThat(send("POST", "/trainers/t1/quarantine?group=nolang", "s3cret").statusCode())
        .isEqualTo(400);
    assertThat(send("POST", "/trainers/t1/skip?to=1&to=2", "s3cret").statusCode()).isEqualTo(400);
    // and none of them was written
    assertThat(written).isEmpty();
  }

  @Test
  void shouldRefuseControlsWhenNoTokenIsConfigured() throws Exception {
    // Given an API without a token, open for reading
    start(null);

    // When a control is posted
    HttpResponse<String> response = send("POST", "/trainers/t1/pause", null);

    // Then it is forbidden, saying what to set, and nothing is written
    assertThat(response.statusCode()).isEqualTo(403);
    assertThat(response.body()).contains("rest.token");
    assertThat(written).isEmpty();
  }
}
