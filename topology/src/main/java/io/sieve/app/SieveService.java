package io.sieve.app;

import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.sieve.config.SieveConfig;
import io.sieve.config.Topics;
import io.sieve.errors.DeadLetterDeserializationHandler;
import io.sieve.errors.DeadLetterProcessingHandler;
import io.sieve.errors.DeadLetterProductionHandler;
import io.sieve.errors.DeadLetterSender;
import io.sieve.query.Liveness;
import io.sieve.query.QueryServer;
import io.sieve.registry.RestSchemaRegistry;
import io.sieve.serde.AvroSerdes;
import io.sieve.stream.SieveMetrics;
import io.sieve.topology.SieveTopology;
import java.net.URI;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Sieve instance: creates its topics, builds the topology and runs it. Instances with
 * the same application id share the partitions.
 */
public final class SieveService implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(SieveService.class);

  private final SieveConfig config;
  private final SieveMetrics metrics = new SieveMetrics();
  private final QueryServer queryServer;
  private final KafkaStreamsMetrics streamsMetrics;
  private final AvroSerdes serdes;
  private final Topics topics;
  private final KafkaStreams streams;
  private final BatchTopicProvisioner provisioner;
  private final DeadLetterSender deadLetters;
  private final Liveness liveness;
  private volatile boolean closing;

  public SieveService(SieveConfig config) {
    this.config = config;
    this.serdes =
        new AvroSerdes(
            new RestSchemaRegistry(config.registryOptions()),
            config.getInt(SieveConfig.DECODE_MAX_COLLECTION_ITEMS_CONFIG));
    this.topics = Topics.from(config, serdes);
    try (TopicAdmin admin = new TopicAdmin(config)) {
      admin.ensureRequired(topics);
      admin.checkCoPartitioned(topics);
    }
    this.deadLetters = new DeadLetterSender(config, serdes, metrics);
    this.provisioner = new BatchTopicProvisioner(config, topics, deadLetters, metrics);
    this.liveness =
        new Liveness(
            config.getInt(SieveConfig.HEALTH_THREAD_FAILURES_CONFIG),
            config.getLong(SieveConfig.HEALTH_WINDOW_CONFIG),
            config.getLong(SieveConfig.HEALTH_STALL_CONFIG),
            provisioner);
    Topology topology = SieveTopology.build(config, topics, serdes, metrics, provisioner);
    LOG.debug("topology:\n{}", topology.describe());
    // bound before Kafka Streams is made, so that application.server names the real port
    this.queryServer =
        config.getBoolean(SieveConfig.REST_ENABLED_CONFIG) ? QueryServer.bind(config) : null;
    if (queryServer != null) {
      queryServer.controls(new TrainerAdmin(config, topics)::control);
    }
    Properties props = streamsProperties();
    if (queryServer != null) {
      HostInfo self = queryServer.hostInfo();
      props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, self.host() + ":" + self.port());
    }
    try {
      this.streams = new KafkaStreams(topology, props);
    } catch (RuntimeException e) {
      if (queryServer != null) {
        queryServer.close();
      }
      deadLetters.close();
      throw e;
    }
    this.streamsMetrics = metrics.bind(streams);
    this.streams.setUncaughtExceptionHandler(
        e -> {
          LOG.error("stream thread failed; replacing it", e);
          liveness.threadFailed();
          return StreamThreadExceptionResponse.REPLACE_THREAD;
        });
  }

  @SuppressWarnings("deprecation") // processing.exception.handler.global.enabled, see below
  private Properties streamsProperties() {
    Properties p = config.streamsProperties();
    p.put(
        StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
        DeadLetterDeserializationHandler.class);
    p.put(
        StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterProcessingHandler.class);
    // the global stores' updaters too: their failures are dead-lettered by the sender's producer
    // (the key is deprecated already, as true becomes the default in Kafka 5.0)
    p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
    p.put(
        StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterProductionHandler.class);
    p.put(DeadLetterSender.SENDER_CONFIG, deadLetters);
    return p;
  }

  /**
   * Starts the service once the schema registry answers. Until then it logs a clear error and
   * retries, as it would after a registry outage: no record is read before its schemas can be.
   */
  public SieveService start() {
    startQueryServer();
    awaitRegistry();
    provisioner.start();
    streams.start();
    return this;
  }

  private void awaitRegistry() {
    RestSchemaRegistry registry = new RestSchemaRegistry(config.registryOptions());
    long backoffMs = 1000;
    while (!closing) {
      try {
        registry.compatibility();
        return;
      } catch (RuntimeException e) {
        LOG.error(
            "schema registry not usable yet: {}; retrying in {} s",
            e.getMessage(),
            backoffMs / 1000);
        try {
          Thread.sleep(backoffMs);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while waiting for the schema registry", ie);
        }
        backoffMs = Math.min(backoffMs * 2, 15_000);
      }
    }
  }

  /**
   * Serves the REST API, if enabled, without starting the streams app: {@link #start} does both.
   * Until the app runs, queries of its stores answer 503.
   */
  public SieveService startQueryServer() {
    if (queryServer != null) {
      queryServer.start(streams, metrics, liveness);
    }
    return this;
  }

  /** The probe listener's base URL, or null when it is off ({@code rest.probe.port}). */
  public URI probeUrl() {
    return queryServer == null ? null : queryServer.probeUrl();
  }

  /** The REST API's base URL, or null when {@code rest.enabled} is false. */
  public URI restUrl() {
    return queryServer == null ? null : queryServer.url();
  }

  /** Waits until the streams app is RUNNING; false on timeout. */
  public boolean awaitRunning(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (streams.state() == KafkaStreams.State.RUNNING) {
        return true;
      }
      Thread.sleep(50);
    }
    return false;
  }

  public KafkaStreams streams() {
    return streams;
  }

  public SieveMetrics metrics() {
    return metrics;
  }

  public Topics topics() {
    return topics;
  }

  public AvroSerdes serdes() {
    return serdes;
  }

  public SieveConfig config() {
    return config;
  }

  @Override
  public void close() {
    closing = true;
    if (queryServer != null) {
      queryServer.close();
    }
    provisioner.close();
    streams.close(Duration.ofSeconds(60));
    streamsMetrics.close();
    deadLetters.close();
  }
}
