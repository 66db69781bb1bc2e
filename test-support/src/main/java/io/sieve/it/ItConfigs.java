package io.sieve.it;

import io.sieve.config.SieveConfig;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The configuration that isolates one integration test on a shared broker: a name becomes a unique
 * application id (the name plus eight random hex digits) and every topic name starts with it, so
 * tests never see each other's records, consumer groups or state; the REST API takes a free port.
 */
final class ItConfigs {

  private ItConfigs() {}

  /**
   * The broker, the registry, a unique application id from {@code name}, the state directory and
   * the topic names, to which a test adds its own settings.
   */
  static Map<String, Object> isolated(
      String name, String bootstrapServers, String registryUrl, Path stateDir) {
    String p = name + "-" + UUID.randomUUID().toString().substring(0, 8);
    Map<String, Object> props = new HashMap<>();
    props.put(SieveConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    props.put(SieveConfig.SCHEMA_REGISTRY_URL_CONFIG, registryUrl);
    props.put(SieveConfig.APPLICATION_ID_CONFIG, p);
    props.put(SieveConfig.STATE_DIR_CONFIG, stateDir.toString());
    // instances of one test run side by side, as on one machine: each takes a free port
    props.put(SieveConfig.REST_PORT_CONFIG, 0);
    props.put(SieveConfig.TOPIC_EXAMPLES_CONFIG, p + ".examples");
    props.put(SieveConfig.TOPIC_TRAINERS_CONFIG, p + ".trainers");
    props.put(SieveConfig.TOPIC_FEEDBACK_CONFIG, p + ".feedback");
    props.put(SieveConfig.TOPIC_TRAINER_CONTROLS_CONFIG, p + ".trainer-controls");
    props.put(SieveConfig.TOPIC_DEAD_LETTERS_CONFIG, p + ".dead-letters");
    props.put(SieveConfig.TOPIC_CENTROIDS_CONFIG, p + ".centroids");
    props.put(SieveConfig.TOPIC_CLUSTER_STATS_CONFIG, p + ".cluster-stats");
    props.put(SieveConfig.TOPIC_MANIFESTS_CONFIG, p + ".manifests");
    props.put(SieveConfig.TOPIC_BATCHES_PREFIX_CONFIG, p + ".batches.");
    return props;
  }
}
