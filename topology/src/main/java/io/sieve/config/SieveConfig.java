package io.sieve.config;

import io.sieve.stream.BoundedRocksDbConfig;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.streams.StreamsConfig;

/**
 * Every setting of the service, typed and validated at start-up.
 *
 * <p>Keys beginning with {@code streams.} are passed to Kafka Streams with the prefix removed;
 * Kafka client security keys ({@code security.protocol}, {@code sasl.*}, {@code ssl.*}) are passed
 * through as they are.
 */
public final class SieveConfig extends AbstractConfig {

  public static final String APPLICATION_ID_CONFIG = "application.id";
  public static final String APPLICATION_ID_DEFAULT = "sieve";
  private static final String APPLICATION_ID_DOC =
      "Kafka Streams application id: instances with the same id share the work.";

  public static final String BOOTSTRAP_SERVERS_CONFIG = "bootstrap.servers";
  private static final String BOOTSTRAP_SERVERS_DOC = "Kafka bootstrap servers, host:port[,...].";

  public static final String SCHEMA_REGISTRY_URL_CONFIG = "schema.registry.url";
  private static final String SCHEMA_REGISTRY_URL_DOC =
      "Base URL of a Confluent-compatible schema registry API, for example"
          + " http://127.0.0.1:8081 or http://127.0.0.1:8080/apis/ccompat/v7.";

  public static final String SCHEMA_REGISTRY_AUTH_CONFIG = "schema.registry.basic.auth.user.info";
  private static final String SCHEMA_REGISTRY_AUTH_DOC =
      "Optional user:password for the schema registry's basic auth.";

  public static final String STATE_DIR_CONFIG = "state.dir";
  public static final String STATE_DIR_DEFAULT =
      System.getProperty("java.io.tmpdir") + "/sieve-state";
  private static final String STATE_DIR_DOC = "Directory of the RocksDB state stores.";

  public static final String TOPIC_EXAMPLES_CONFIG = "topic.examples";
  public static final String TOPIC_EXAMPLES_DEFAULT = "sieve.examples";
  public static final String TOPIC_TRAINERS_CONFIG = "topic.trainers";
  public static final String TOPIC_TRAINERS_DEFAULT = "sieve.trainers";
  public static final String TOPIC_FEEDBACK_CONFIG = "topic.feedback";
  public static final String TOPIC_FEEDBACK_DEFAULT = "sieve.feedback";
  public static final String TOPIC_TRAINER_CONTROLS_CONFIG = "topic.trainer.controls";
  public static final String TOPIC_TRAINER_CONTROLS_DEFAULT = "sieve.trainer-controls";
  public static final String TOPIC_DEAD_LETTERS_CONFIG = "topic.dead.letters";
  public static final String TOPIC_DEAD_LETTERS_DEFAULT = "sieve.dead-letters";
  public static final String TOPIC_CENTROIDS_CONFIG = "topic.centroids";
  public static final String TOPIC_CENTROIDS_DEFAULT = "sieve.centroids";
  public static final String TOPIC_CLUSTER_STATS_CONFIG = "topic.cluster.stats";
  public static final String TOPIC_CLUSTER_STATS_DEFAULT = "sieve.cluster-stats";
  public static final String TOPIC_MANIFESTS_CONFIG = "topic.manifests";
  public static final String TOPIC_MANIFESTS_DEFAULT = "sieve.manifests";
  public static final String MANIFESTS_RETENTION_CONFIG = "manifests.retention.ms";
  public static final long MANIFESTS_RETENTION_DEFAULT = 30L * 24 * 3600 * 1000;
  private static final String MANIFESTS_RETENTION_DOC =
      "retention.ms of the manifests topic when Sieve creates it (-1: keep forever). Manifests"
          + " hold ids and weights, not payloads, so they can be kept far longer than batches.";
  public static final String TOPIC_BATCHES_PREFIX_CONFIG = "topic.batches.prefix";
  public static final String TOPIC_BATCHES_PREFIX_DEFAULT = "sieve.batches.";

  public static final String TOPIC_PARTITIONS_CONFIG = "topic.partitions";
  public static final int TOPIC_PARTITIONS_DEFAULT = 3;
  private static final String TOPIC_PARTITIONS_DOC =
      "Partitions of the topics Sieve creates, and of its repartition topics.";

  public static final String TOPIC_REPLICATION_CONFIG = "topic.replication.factor";
  public static final short TOPIC_REPLICATION_DEFAULT = 1;
  private static final String TOPIC_REPLICATION_DOC =
      "Replication factor of the topics Sieve creates.";

  public static final String EMBEDDING_DIMENSION_CONFIG = "embedding.dimension";
  public static final int EMBEDDING_DIMENSION_DEFAULT = 384;
  private static final String EMBEDDING_DIMENSION_DOC =
      "Embedding dimension: examples that bring an embedding must match it; the hashing embedder"
          + " produces it.";

  public static final String DEDUP_ENABLED_CONFIG = "dedup.enabled";
  public static final boolean DEDUP_ENABLED_DEFAULT = true;
  private static final String DEDUP_ENABLED_DOC =
      "Drop examples whose content (text, or embedding when there is no text) was seen before.";

  public static final String DEDUP_RETENTION_CONFIG = "dedup.retention.ms";
  public static final long DEDUP_RETENTION_DEFAULT = 7L * 24 * 3600 * 1000;
  private static final String DEDUP_RETENTION_DOC =
      "How long a content is remembered for exact-duplicate detection, by record time; the"
          + " store stays bounded by what arrives in this period.";

  public static final String DEDUP_SCOPE_CONFIG = "dedup.scope";
  public static final String DEDUP_SCOPE_GLOBAL = "global";
  public static final String DEDUP_SCOPE_CLUSTER = "cluster";
  private static final String DEDUP_SCOPE_DOC =
      "Where exact duplicates meet. 'global': examples are repartitioned by content hash before"
          + " assignment, so every copy meets every other (two repartitions on the ingest path)."
          + " 'cluster': assignment runs where the examples are read and exact dedup runs in the"
          + " pool's task, after the one repartition by cluster; identical content embeds"
          + " identically, so copies meet unless a model update moved their nearest centre between"
          + " them, and exact copies count in the model's sums. Changing it changes the topology:"
          + " reset the application (see Upgrades).";

  public static final String CLUSTER_K_INIT_CONFIG = "cluster.k.init";
  public static final int CLUSTER_K_INIT_DEFAULT = 16;
  private static final String CLUSTER_K_INIT_DOC = "Clusters made by k-means++ at bootstrap.";

  public static final String CLUSTER_BOOTSTRAP_SIZE_CONFIG = "cluster.bootstrap.size";
  public static final int CLUSTER_BOOTSTRAP_SIZE_DEFAULT = 512;
  private static final String CLUSTER_BOOTSTRAP_SIZE_DOC =
      "Examples gathered before the first model is made by k-means++; examples wait until then.";

  public static final String CLUSTER_HALF_LIFE_CONFIG = "cluster.half.life";
  public static final double CLUSTER_HALF_LIFE_DEFAULT = 100_000.0;
  private static final String CLUSTER_HALF_LIFE_DOC =
      "Half-life of cluster weights, in points: a point counts half once this many newer points"
          + " have reached the model, however many partitions and updates carried them.";

  public static final String CLUSTER_UPDATE_INTERVAL_CONFIG = "cluster.update.interval.ms";
  public static final long CLUSTER_UPDATE_INTERVAL_DEFAULT = 1000L;
  private static final String CLUSTER_UPDATE_INTERVAL_DOC =
      "How often each task sends its per-cluster sums to the model owner.";

  public static final String CLUSTER_SEED_CONFIG = "cluster.seed";
  public static final long CLUSTER_SEED_DEFAULT = 42L;
  private static final String CLUSTER_SEED_DOC = "Seed of the k-means++ bootstrap.";

  public static final String POOL_CAPACITY_CONFIG = "pool.capacity.per.cluster";
  public static final int POOL_CAPACITY_DEFAULT = 10_000;
  private static final String POOL_CAPACITY_DOC =
      "Examples kept per cluster; past it, reservoir sampling decides which stay.";

  public static final String PLANNER_INTERVAL_CONFIG = "planner.interval.ms";
  public static final long PLANNER_INTERVAL_DEFAULT = 200L;
  private static final String PLANNER_INTERVAL_DOC =
      "How often the planner looks for trainers with credit.";

  public static final String BATCH_TIMEOUT_CONFIG = "batch.assembly.timeout.ms";
  public static final long BATCH_TIMEOUT_DEFAULT = 30_000L;
  private static final String BATCH_TIMEOUT_DOC =
      "A batch whose fragments have not all arrived after this long is written incomplete.";

  public static final String BATCH_LEASE_CONFIG = "batch.lease.ms";
  public static final long BATCH_LEASE_DEFAULT = 900_000L;
  private static final String BATCH_LEASE_DOC =
      "A batch not acknowledged by feedback this long after it was planned gives its credit back"
          + " (counted in sieve.batch.leases.expired and recorded as a dead letter), so that a"
          + " trainer that lost a batch is not starved. Set it above the longest time a trainer"
          + " may train on one batch.";

  public static final String BATCH_STAGE_CONFIG = "batch.stage";
  public static final int BATCH_STAGE_DEFAULT = -1;
  private static final String BATCH_STAGE_DOC =
      "Batches planned and assembled ahead of a trainer's credit, beside its window: one is written"
          + " the moment feedback returns credit. -1: the trainer's window for a policy its"
          + " feedback steers, twice the window for the others; 0: none (a"
          + " batch is planned only when there is credit). The policy update from batch n's"
          + " feedback first shapes batch n + window + stage. A trainer that steps faster than"
          + " the batch path's hops take (each rides commit.interval.ms) stalls less with about"
          + " twice its window, the default for the policies feedback does not steer (README,"
          + " Trainer-side latency).";

  public static final String BATCH_MAX_BYTES_CONFIG = "batch.max.bytes";
  public static final int BATCH_MAX_BYTES_DEFAULT = 8 * 1024 * 1024;
  private static final String BATCH_MAX_BYTES_DOC =
      "Largest batch record: trainer topics get this max.message.bytes and the producer this"
          + " max.request.size; a trainer spec whose batches cannot fit is rejected.";

  public static final String STATS_INTERVAL_CONFIG = "stats.publish.interval.ms";
  public static final long STATS_INTERVAL_DEFAULT = 500L;
  private static final String STATS_INTERVAL_DOC =
      "How often changed cluster statistics are published to the cluster-stats topic.";

  public static final String PROCESSING_GUARANTEE_CONFIG = "processing.guarantee";
  public static final String PROCESSING_GUARANTEE_DEFAULT = StreamsConfig.EXACTLY_ONCE_V2;
  private static final String PROCESSING_GUARANTEE_DOC =
      "Kafka Streams processing guarantee: exactly_once_v2 (default) or at_least_once.";

  public static final String STREAM_THREADS_CONFIG = "num.stream.threads";
  public static final int STREAM_THREADS_DEFAULT = 0;
  private static final String STREAM_THREADS_DOC =
      "Kafka Streams stream threads of this instance; 0 (default): one per available processor.";

  public static final String ROCKSDB_MEMORY_CONFIG = BoundedRocksDbConfig.MEMORY_BYTES_CONFIG;
  public static final long ROCKSDB_MEMORY_DEFAULT = BoundedRocksDbConfig.MEMORY_BYTES_DEFAULT;
  private static final String ROCKSDB_MEMORY_DOC =
      "Off-heap memory of all RocksDB stores of the instance together: one shared block cache of"
          + " this size, which the stores' memtables are charged to (at most half of it).";

  public static final String STANDBY_REPLICAS_CONFIG = "num.standby.replicas";
  public static final int STANDBY_REPLICAS_DEFAULT = 0;
  private static final String STANDBY_REPLICAS_DOC = "Standby replicas of each state store.";

  public static final String REST_ENABLED_CONFIG = "rest.enabled";
  public static final boolean REST_ENABLED_DEFAULT = false;
  private static final String REST_ENABLED_DOC =
      "Serve the REST API (health, readiness, Prometheus metrics, clusters, trainers).";

  public static final String REST_HOST_CONFIG = "rest.host";
  public static final String REST_HOST_DEFAULT = "127.0.0.1";
  private static final String REST_HOST_DOC =
      "Address the REST API binds to; also the host advertised to other instances"
          + " (application.server), so it must be one they can reach.";

  public static final String REST_PORT_CONFIG = "rest.port";
  public static final int REST_PORT_DEFAULT = 7070;
  private static final String REST_PORT_DOC = "Port of the REST API; 0 picks a free one.";

  public static final String REST_TOKEN_CONFIG = "rest.token";
  private static final String REST_TOKEN_DOC =
      "Optional bearer token: when set, every endpoint but /health requires"
          + " 'Authorization: Bearer <token>'. Instances of one application share it.";

  public static final String REST_QUERY_TIMEOUT_CONFIG = "rest.query.timeout.ms";
  public static final long REST_QUERY_TIMEOUT_DEFAULT = 2000L;
  private static final String REST_QUERY_TIMEOUT_DOC =
      "How long a query retries while its store is not queryable (rebalancing, restoring,"
          + " starting) before answering 503 with Retry-After.";

  public static final String RECENT_BATCHES_CONFIG = "trainer.recent.batches";
  public static final int RECENT_BATCHES_DEFAULT = 20;
  private static final String RECENT_BATCHES_DOC =
      "Compositions of each trainer's most recent batches kept for the REST API.";

  public static final String CLUSTER_SPAWN_DISTANCE_CONFIG = "cluster.spawn.distance";
  public static final double CLUSTER_SPAWN_DISTANCE_DEFAULT = 0.9;
  private static final String CLUSTER_SPAWN_DISTANCE_DOC =
      "Cosine distance (1 - cosine similarity) beyond which a point is far from every centre and"
          + " opens a new cluster (DP-means); 2 or more never spawns.";

  public static final String CLUSTER_K_MAX_CONFIG = "cluster.k.max";
  public static final int CLUSTER_K_MAX_DEFAULT = 256;
  private static final String CLUSTER_K_MAX_DOC =
      "Most live clusters: far points open no new cluster past it. The model, one record, must"
          + " fit cluster.model.max.bytes: about 4 x embedding.dimension + 24 bytes a cluster.";

  public static final String CLUSTER_MODEL_MAX_BYTES_CONFIG = "cluster.model.max.bytes";
  public static final int CLUSTER_MODEL_MAX_BYTES_DEFAULT = 8 * 1024 * 1024;
  private static final String CLUSTER_MODEL_MAX_BYTES_DOC =
      "Largest centroid model record: the centroid topic gets this max.message.bytes (plus 64"
          + " KiB). A model takes about 4 x embedding.dimension + 24 bytes a cluster, so"
          + " cluster.k.max and the dimension must fit it; a configuration that cannot is refused"
          + " at start.";

  public static final String DEDUP_NEAR_EPSILON_CONFIG = "dedup.near.epsilon";
  public static final double DEDUP_NEAR_EPSILON_DEFAULT = 0.01;
  private static final String DEDUP_NEAR_EPSILON_DOC =
      "An example whose cosine similarity to a pooled example of its cluster is at least 1 -"
          + " epsilon is a near duplicate.";

  public static final String DEDUP_NEAR_EPSILON_TEXT_CONFIG = "dedup.near.epsilon.text";
  public static final String DEDUP_NEAR_EPSILON_CALIBRATED = "calibrated";
  private static final String DEDUP_NEAR_EPSILON_TEXT_DOC =
      "The near-duplicate epsilon for examples that Sieve embedded from their text: a number, or"
          + " calibrated for the configured embedder's own (hashing 0.10, minilm 0.05: about half"
          + " of the one-word re-crawl edits of a WordNet gloss fall within it; the configuration"
          + " documented for crawls). Default: dedup.near.epsilon, as for embeddings the producer"
          + " supplied.";

  public static final String DEDUP_NEAR_POLICY_CONFIG = "dedup.near.policy";
  public static final String DEDUP_NEAR_POLICY_DEFAULT = "drop";
  private static final String DEDUP_NEAR_POLICY_DOC =
      "What to do with near duplicates: drop (count and drop), count (count and keep), keep (no"
          + " check).";

  public static final String DEDUP_NEAR_WINDOW_CONFIG = "dedup.near.window";
  public static final int DEDUP_NEAR_WINDOW_DEFAULT = 256;
  private static final String DEDUP_NEAR_WINDOW_DOC =
      "Pooled examples per cluster that redundancy eviction (pool.eviction=redundancy) compares:"
          + " the most recently pooled ones. Near duplicates are looked for among every pooled"
          + " example of the cluster, whatever this window.";

  public static final String POOL_EVICTION_CONFIG = "pool.eviction";
  public static final String POOL_EVICTION_DEFAULT = "reservoir";
  private static final String POOL_EVICTION_DOC =
      "Which example leaves a full cluster pool: reservoir (uniform reservoir sampling) or"
          + " redundancy (the one most similar to another pooled example).";

  public static final String EMBEDDER_CONFIG = "embedder";
  public static final String EMBEDDER_HASHING = "hashing";
  public static final String EMBEDDER_MINILM = "minilm";
  public static final String EMBEDDER_DEFAULT = EMBEDDER_HASHING;
  private static final String EMBEDDER_DOC =
      "How examples that bring only text are embedded: hashing (feature hashing, any dimension,"
          + " about 2 µs of CPU a sentence) or minilm (the all-MiniLM-L6-v2 sentence model run"
          + " in-process, 384 dimensions only, about 2 ms of CPU a sentence).";

  public static final String DECODE_MAX_COLLECTION_ITEMS_CONFIG = "decode.max.collection.items";
  public static final int DECODE_MAX_COLLECTION_ITEMS_DEFAULT = 4_194_304;
  private static final String DECODE_MAX_COLLECTION_ITEMS_DOC =
      "Most items one array or map of a record may hold; a record claiming more (or more than its"
          + " bytes can hold) does not decode and is dead-lettered before anything is allocated.";

  public static final String EXAMPLE_MAX_ID_LENGTH_CONFIG = "example.max.id.length";
  public static final int EXAMPLE_MAX_ID_LENGTH_DEFAULT = 256;
  private static final String EXAMPLE_MAX_ID_LENGTH_DOC =
      "Longest example id, in characters; longer ids are dead-lettered (id-too-long).";

  public static final String EXAMPLE_MAX_TEXT_BYTES_CONFIG = "example.max.text.bytes";
  public static final int EXAMPLE_MAX_TEXT_BYTES_DEFAULT = 1_048_576;
  private static final String EXAMPLE_MAX_TEXT_BYTES_DOC =
      "Largest example text, in UTF-8 bytes; larger texts are dead-lettered (text-too-long).";

  public static final String EXAMPLE_MAX_GROUPS_CONFIG = "example.max.groups";
  public static final int EXAMPLE_MAX_GROUPS_DEFAULT = 32;
  private static final String EXAMPLE_MAX_GROUPS_DOC =
      "Most group attributes of one example; more are dead-lettered (too-many-groups). Every"
          + " attribute is counted in its cluster's statistics, which planning reads.";

  public static final String EXAMPLE_MAX_GROUP_KEY_LENGTH_CONFIG = "example.max.group.key.length";
  public static final int EXAMPLE_MAX_GROUP_KEY_LENGTH_DEFAULT = 64;
  private static final String EXAMPLE_MAX_GROUP_KEY_LENGTH_DOC =
      "Longest group attribute name, in characters (group-too-long).";

  public static final String EXAMPLE_MAX_GROUP_VALUE_LENGTH_CONFIG =
      "example.max.group.value.length";
  public static final int EXAMPLE_MAX_GROUP_VALUE_LENGTH_DEFAULT = 256;
  private static final String EXAMPLE_MAX_GROUP_VALUE_LENGTH_DOC =
      "Longest group attribute value, in characters (group-too-long).";

  public static final String REST_PROBE_PORT_CONFIG = "rest.probe.port";
  public static final int REST_PROBE_PORT_DEFAULT = -1;
  private static final String REST_PROBE_PORT_DOC =
      "Port of a listener serving only /health and /ready, on threads of its own, so that clients"
          + " of the API cannot starve the probes; -1 (default) serves them on rest.port only, 0"
          + " picks a free port.";

  public static final String REST_READ_TIMEOUT_CONFIG = "rest.read.timeout.ms";
  public static final long REST_READ_TIMEOUT_DEFAULT = 10_000L;
  private static final String REST_READ_TIMEOUT_DOC =
      "A REST request must arrive, and its answer leave, within this (whole seconds); slower"
          + " connections are closed so that slow clients cannot hold the server's threads.";

  public static final String HEALTH_THREAD_FAILURES_CONFIG = "health.thread.failures";
  public static final int HEALTH_THREAD_FAILURES_DEFAULT = 3;
  private static final String HEALTH_THREAD_FAILURES_DOC =
      "Stream thread failures within health.window.ms that make /health answer 503: a thread"
          + " replaced in a loop makes no progress though Kafka Streams stays RUNNING.";

  public static final String HEALTH_WINDOW_CONFIG = "health.window.ms";
  public static final long HEALTH_WINDOW_DEFAULT = 300_000L;
  private static final String HEALTH_WINDOW_DOC =
      "Window of health.thread.failures; /health is 200 again once a whole window passes without"
          + " a thread failure.";

  public static final String HEALTH_STALL_CONFIG = "health.stall.ms";
  public static final long HEALTH_STALL_DEFAULT = 60_000L;
  private static final String HEALTH_STALL_DOC =
      "An input partition of this instance with a record fetched and not committed, a stream"
          + " thread that neither polls, processes nor commits, or a trainer with credit and a pool"
          + " holding a batch that gets none planned, for this long makes /health answer 503,"
          + " naming it; keep it well above commit.interval.ms and planner.interval.ms, and below"
          + " the producer's max.block.ms.";

  public static final String FEEDBACK_MAX_ABS_LOSS_CONFIG = "feedback.max.abs.loss";
  public static final double FEEDBACK_MAX_ABS_LOSS_DEFAULT = 1e6;
  private static final String FEEDBACK_MAX_ABS_LOSS_DOC =
      "Largest magnitude of a loss (or any other number) in feedback: larger or non-finite values"
          + " are ignored and the feedback is dead-lettered (loss-out-of-range), the batch still"
          + " acknowledged.";

  public static final String STREAMS_PREFIX = "streams.";

  private static final ConfigDef DEFINITION = definition();

  public SieveConfig(Map<?, ?> props) {
    super(DEFINITION, props, false);
    if (getString(BOOTSTRAP_SERVERS_CONFIG).isBlank()) {
      throw new ConfigException(BOOTSTRAP_SERVERS_CONFIG, "", "must be set");
    }
    if (getString(SCHEMA_REGISTRY_URL_CONFIG).isBlank()) {
      throw new ConfigException(SCHEMA_REGISTRY_URL_CONFIG, "", "must be set");
    }
    if (getString(EMBEDDER_CONFIG).equals(EMBEDDER_MINILM)
        && dimension() != io.sieve.embed.MiniLmEmbedder.DIMENSION) {
      throw new ConfigException(
          EMBEDDING_DIMENSION_CONFIG,
          dimension(),
          "must be "
              + io.sieve.embed.MiniLmEmbedder.DIMENSION
              + " when "
              + EMBEDDER_CONFIG
              + "="
              + EMBEDDER_MINILM
              + " (the model's output dimension)");
    }
    checkModelFits();
  }

  /**
   * The centroid model is one record (on its compacted topic, in the model owner's changelog), and
   * so are the bootstrap samples the owner gathers: both must fit {@code cluster.model.max.bytes},
   * and the model grows with {@code cluster.k.max} and the dimension. Refused here, at start,
   * rather than by the broker once the model has grown.
   */
  private void checkModelFits() {
    int kMax = getInt(CLUSTER_K_MAX_CONFIG);
    int limit = getInt(CLUSTER_MODEL_MAX_BYTES_CONFIG);
    long perCluster = 4L * dimension() + 24;
    long model = io.sieve.cluster.CentroidModels.maxEncodedBytes(kMax, dimension());
    if (model > limit) {
      throw new ConfigException(
          CLUSTER_K_MAX_CONFIG,
          kMax,
          String.format(
              Locale.ROOT,
              "a centroid model of %d clusters of %d floats takes up to %d bytes, more than"
                  + " %s=%d allows (the model is one record on the centroid topic); lower %s to"
                  + " at most %d or raise %s to at least %d",
              kMax,
              dimension(),
              model,
              CLUSTER_MODEL_MAX_BYTES_CONFIG,
              limit,
              CLUSTER_K_MAX_CONFIG,
              (limit - 64) / perCluster,
              CLUSTER_MODEL_MAX_BYTES_CONFIG,
              model));
    }
    // the owner stores fewer than bootstrap.size samples; a task sends at most that many at once
    long samples = (long) getInt(CLUSTER_BOOTSTRAP_SIZE_CONFIG) * (4L * dimension() + 5);
    if (samples > limit) {
      throw new ConfigException(
          CLUSTER_BOOTSTRAP_SIZE_CONFIG,
          getInt(CLUSTER_BOOTSTRAP_SIZE_CONFIG),
          String.format(
              Locale.ROOT,
              "the model owner's bootstrap samples take up to %d bytes, more than %s=%d allows;"
                  + " lower %s or raise %s",
              samples,
              CLUSTER_MODEL_MAX_BYTES_CONFIG,
              limit,
              CLUSTER_BOOTSTRAP_SIZE_CONFIG,
              CLUSTER_MODEL_MAX_BYTES_CONFIG));
    }
  }

  /** Room above a payload limit for a record's key, headers and framing. */
  private static final int RECORD_OVERHEAD_BYTES = 65_536;

  /**
   * The largest record Sieve writes, a batch or the centroid model: the producer's {@code
   * max.request.size} and the {@code max.message.bytes} of the internal topics and the centroid
   * topic.
   */
  public int maxRecordBytes() {
    return Math.max(getInt(BATCH_MAX_BYTES_CONFIG), getInt(CLUSTER_MODEL_MAX_BYTES_CONFIG))
        + RECORD_OVERHEAD_BYTES;
  }

  public static ConfigDef configDef() {
    return new ConfigDef(DEFINITION);
  }

  private static ConfigDef definition() {
    return new ConfigDef()
        .define(
            APPLICATION_ID_CONFIG,
            Type.STRING,
            APPLICATION_ID_DEFAULT,
            new ConfigDef.NonEmptyString(),
            Importance.HIGH,
            APPLICATION_ID_DOC)
        .define(BOOTSTRAP_SERVERS_CONFIG, Type.STRING, Importance.HIGH, BOOTSTRAP_SERVERS_DOC)
        .define(SCHEMA_REGISTRY_URL_CONFIG, Type.STRING, Importance.HIGH, SCHEMA_REGISTRY_URL_DOC)
        .define(
            SCHEMA_REGISTRY_AUTH_CONFIG,
            Type.PASSWORD,
            null,
            Importance.MEDIUM,
            SCHEMA_REGISTRY_AUTH_DOC)
        .define(STATE_DIR_CONFIG, Type.STRING, STATE_DIR_DEFAULT, Importance.MEDIUM, STATE_DIR_DOC)
        .define(
            TOPIC_EXAMPLES_CONFIG,
            Type.STRING,
            TOPIC_EXAMPLES_DEFAULT,
            Importance.MEDIUM,
            "Topic of incoming training examples.")
        .define(
            TOPIC_TRAINERS_CONFIG,
            Type.STRING,
            TOPIC_TRAINERS_DEFAULT,
            Importance.MEDIUM,
            "Compacted topic of trainer specs.")
        .define(
            TOPIC_FEEDBACK_CONFIG,
            Type.STRING,
            TOPIC_FEEDBACK_DEFAULT,
            Importance.MEDIUM,
            "Topic of trainer feedback.")
        .define(
            TOPIC_TRAINER_CONTROLS_CONFIG,
            Type.STRING,
            TOPIC_TRAINER_CONTROLS_DEFAULT,
            Importance.MEDIUM,
            "Topic of operators' trainer controls (pause, resume, skip, rewind, quarantine, lift),"
                + " co-partitioned with the trainers topic.")
        .define(
            TOPIC_DEAD_LETTERS_CONFIG,
            Type.STRING,
            TOPIC_DEAD_LETTERS_DEFAULT,
            Importance.MEDIUM,
            "Topic of dead letters.")
        .define(
            TOPIC_CENTROIDS_CONFIG,
            Type.STRING,
            TOPIC_CENTROIDS_DEFAULT,
            Importance.MEDIUM,
            "Compacted topic of the centroid model, read as a global store.")
        .define(
            TOPIC_CLUSTER_STATS_CONFIG,
            Type.STRING,
            TOPIC_CLUSTER_STATS_DEFAULT,
            Importance.MEDIUM,
            "Compacted topic of per-cluster pool statistics, read as a global store.")
        .define(
            TOPIC_MANIFESTS_CONFIG,
            Type.STRING,
            TOPIC_MANIFESTS_DEFAULT,
            Importance.MEDIUM,
            "Topic of batch manifests (ids, clusters, groups, weights of each batch), keyed by"
                + " trainer id.")
        .define(
            MANIFESTS_RETENTION_CONFIG,
            Type.LONG,
            MANIFESTS_RETENTION_DEFAULT,
            Range.atLeast(-1),
            Importance.LOW,
            MANIFESTS_RETENTION_DOC)
        .define(
            TOPIC_BATCHES_PREFIX_CONFIG,
            Type.STRING,
            TOPIC_BATCHES_PREFIX_DEFAULT,
            Importance.MEDIUM,
            "Prefix of the per-trainer batch topics: <prefix><trainerId>.")
        .define(
            TOPIC_PARTITIONS_CONFIG,
            Type.INT,
            TOPIC_PARTITIONS_DEFAULT,
            Range.between(1, 10_000),
            Importance.MEDIUM,
            TOPIC_PARTITIONS_DOC)
        .define(
            TOPIC_REPLICATION_CONFIG,
            Type.SHORT,
            TOPIC_REPLICATION_DEFAULT,
            Range.between(1, 32),
            Importance.MEDIUM,
            TOPIC_REPLICATION_DOC)
        .define(
            EMBEDDING_DIMENSION_CONFIG,
            Type.INT,
            EMBEDDING_DIMENSION_DEFAULT,
            Range.between(2, 65_536),
            Importance.HIGH,
            EMBEDDING_DIMENSION_DOC)
        .define(
            DEDUP_ENABLED_CONFIG,
            Type.BOOLEAN,
            DEDUP_ENABLED_DEFAULT,
            Importance.MEDIUM,
            DEDUP_ENABLED_DOC)
        .define(
            DEDUP_RETENTION_CONFIG,
            Type.LONG,
            DEDUP_RETENTION_DEFAULT,
            Range.atLeast(1000),
            Importance.LOW,
            DEDUP_RETENTION_DOC)
        .define(
            DEDUP_SCOPE_CONFIG,
            Type.STRING,
            DEDUP_SCOPE_GLOBAL,
            ValidString.in(DEDUP_SCOPE_GLOBAL, DEDUP_SCOPE_CLUSTER),
            Importance.LOW,
            DEDUP_SCOPE_DOC)
        .define(
            CLUSTER_K_INIT_CONFIG,
            Type.INT,
            CLUSTER_K_INIT_DEFAULT,
            Range.between(1, 65_536),
            Importance.MEDIUM,
            CLUSTER_K_INIT_DOC)
        .define(
            CLUSTER_BOOTSTRAP_SIZE_CONFIG,
            Type.INT,
            CLUSTER_BOOTSTRAP_SIZE_DEFAULT,
            Range.between(1, 1_000_000),
            Importance.MEDIUM,
            CLUSTER_BOOTSTRAP_SIZE_DOC)
        .define(
            CLUSTER_HALF_LIFE_CONFIG,
            Type.DOUBLE,
            CLUSTER_HALF_LIFE_DEFAULT,
            Range.atLeast(0.001),
            Importance.LOW,
            CLUSTER_HALF_LIFE_DOC)
        .define(
            CLUSTER_UPDATE_INTERVAL_CONFIG,
            Type.LONG,
            CLUSTER_UPDATE_INTERVAL_DEFAULT,
            Range.atLeast(10),
            Importance.LOW,
            CLUSTER_UPDATE_INTERVAL_DOC)
        .define(
            CLUSTER_SEED_CONFIG, Type.LONG, CLUSTER_SEED_DEFAULT, Importance.LOW, CLUSTER_SEED_DOC)
        .define(
            POOL_CAPACITY_CONFIG,
            Type.INT,
            POOL_CAPACITY_DEFAULT,
            Range.between(1, Integer.MAX_VALUE),
            Importance.MEDIUM,
            POOL_CAPACITY_DOC)
        .define(
            PLANNER_INTERVAL_CONFIG,
            Type.LONG,
            PLANNER_INTERVAL_DEFAULT,
            Range.atLeast(10),
            Importance.LOW,
            PLANNER_INTERVAL_DOC)
        .define(
            BATCH_TIMEOUT_CONFIG,
            Type.LONG,
            BATCH_TIMEOUT_DEFAULT,
            Range.atLeast(100),
            Importance.MEDIUM,
            BATCH_TIMEOUT_DOC)
        .define(
            BATCH_LEASE_CONFIG,
            Type.LONG,
            BATCH_LEASE_DEFAULT,
            Range.atLeast(1000),
            Importance.MEDIUM,
            BATCH_LEASE_DOC)
        .define(
            BATCH_STAGE_CONFIG,
            Type.INT,
            BATCH_STAGE_DEFAULT,
            Range.between(-1, 1024),
            Importance.MEDIUM,
            BATCH_STAGE_DOC)
        .define(
            BATCH_MAX_BYTES_CONFIG,
            Type.INT,
            BATCH_MAX_BYTES_DEFAULT,
            Range.between(1024, 1024 * 1024 * 1024),
            Importance.MEDIUM,
            BATCH_MAX_BYTES_DOC)
        .define(
            STATS_INTERVAL_CONFIG,
            Type.LONG,
            STATS_INTERVAL_DEFAULT,
            Range.atLeast(10),
            Importance.LOW,
            STATS_INTERVAL_DOC)
        .define(
            PROCESSING_GUARANTEE_CONFIG,
            Type.STRING,
            PROCESSING_GUARANTEE_DEFAULT,
            ValidString.in(StreamsConfig.EXACTLY_ONCE_V2, StreamsConfig.AT_LEAST_ONCE),
            Importance.MEDIUM,
            PROCESSING_GUARANTEE_DOC)
        .define(
            STREAM_THREADS_CONFIG,
            Type.INT,
            STREAM_THREADS_DEFAULT,
            Range.atLeast(0),
            Importance.MEDIUM,
            STREAM_THREADS_DOC)
        .define(
            ROCKSDB_MEMORY_CONFIG,
            Type.LONG,
            ROCKSDB_MEMORY_DEFAULT,
            Range.atLeast(1024L * 1024),
            Importance.MEDIUM,
            ROCKSDB_MEMORY_DOC)
        .define(
            STANDBY_REPLICAS_CONFIG,
            Type.INT,
            STANDBY_REPLICAS_DEFAULT,
            Range.atLeast(0),
            Importance.LOW,
            STANDBY_REPLICAS_DOC)
        .define(
            REST_ENABLED_CONFIG,
            Type.BOOLEAN,
            REST_ENABLED_DEFAULT,
            Importance.MEDIUM,
            REST_ENABLED_DOC)
        .define(
            REST_HOST_CONFIG,
            Type.STRING,
            REST_HOST_DEFAULT,
            new ConfigDef.NonEmptyString(),
            Importance.MEDIUM,
            REST_HOST_DOC)
        .define(
            REST_PORT_CONFIG,
            Type.INT,
            REST_PORT_DEFAULT,
            Range.between(0, 65_535),
            Importance.MEDIUM,
            REST_PORT_DOC)
        .define(REST_TOKEN_CONFIG, Type.PASSWORD, null, Importance.MEDIUM, REST_TOKEN_DOC)
        .define(
            REST_QUERY_TIMEOUT_CONFIG,
            Type.LONG,
            REST_QUERY_TIMEOUT_DEFAULT,
            Range.between(0, 60_000),
            Importance.LOW,
            REST_QUERY_TIMEOUT_DOC)
        .define(
            RECENT_BATCHES_CONFIG,
            Type.INT,
            RECENT_BATCHES_DEFAULT,
            Range.between(1, 1000),
            Importance.LOW,
            RECENT_BATCHES_DOC)
        .define(
            CLUSTER_SPAWN_DISTANCE_CONFIG,
            Type.DOUBLE,
            CLUSTER_SPAWN_DISTANCE_DEFAULT,
            Range.between(0.0, 2.0),
            Importance.MEDIUM,
            CLUSTER_SPAWN_DISTANCE_DOC)
        .define(
            CLUSTER_K_MAX_CONFIG,
            Type.INT,
            CLUSTER_K_MAX_DEFAULT,
            Range.between(1, 65_536),
            Importance.MEDIUM,
            CLUSTER_K_MAX_DOC)
        .define(
            DEDUP_NEAR_EPSILON_CONFIG,
            Type.DOUBLE,
            DEDUP_NEAR_EPSILON_DEFAULT,
            Range.between(0.0, 2.0),
            Importance.MEDIUM,
            DEDUP_NEAR_EPSILON_DOC)
        .define(
            DEDUP_NEAR_EPSILON_TEXT_CONFIG,
            Type.STRING,
            null,
            (name, value) -> {
              if (value == null || DEDUP_NEAR_EPSILON_CALIBRATED.equals(value)) {
                return;
              }
              double e;
              try {
                e = Double.parseDouble(((String) value).trim());
              } catch (NumberFormatException ex) {
                throw new ConfigException(name, value, "must be a number or calibrated");
              }
              if (!(e >= 0.0 && e <= 2.0)) {
                throw new ConfigException(name, value, "must be between 0 and 2");
              }
            },
            Importance.MEDIUM,
            DEDUP_NEAR_EPSILON_TEXT_DOC)
        .define(
            DEDUP_NEAR_POLICY_CONFIG,
            Type.STRING,
            DEDUP_NEAR_POLICY_DEFAULT,
            ValidString.in("drop", "count", "keep"),
            Importance.MEDIUM,
            DEDUP_NEAR_POLICY_DOC)
        .define(
            DEDUP_NEAR_WINDOW_CONFIG,
            Type.INT,
            DEDUP_NEAR_WINDOW_DEFAULT,
            Range.between(1, 65_536),
            Importance.LOW,
            DEDUP_NEAR_WINDOW_DOC)
        .define(
            POOL_EVICTION_CONFIG,
            Type.STRING,
            POOL_EVICTION_DEFAULT,
            ValidString.in("reservoir", "redundancy"),
            Importance.MEDIUM,
            POOL_EVICTION_DOC)
        .define(
            CLUSTER_MODEL_MAX_BYTES_CONFIG,
            Type.INT,
            CLUSTER_MODEL_MAX_BYTES_DEFAULT,
            Range.between(64 * 1024, 1024 * 1024 * 1024),
            Importance.LOW,
            CLUSTER_MODEL_MAX_BYTES_DOC)
        .define(
            EMBEDDER_CONFIG,
            Type.STRING,
            EMBEDDER_DEFAULT,
            ValidString.in(EMBEDDER_HASHING, EMBEDDER_MINILM),
            Importance.MEDIUM,
            EMBEDDER_DOC)
        .define(
            DECODE_MAX_COLLECTION_ITEMS_CONFIG,
            Type.INT,
            DECODE_MAX_COLLECTION_ITEMS_DEFAULT,
            Range.between(1, Integer.MAX_VALUE - 8),
            Importance.LOW,
            DECODE_MAX_COLLECTION_ITEMS_DOC)
        .define(
            EXAMPLE_MAX_ID_LENGTH_CONFIG,
            Type.INT,
            EXAMPLE_MAX_ID_LENGTH_DEFAULT,
            Range.between(1, 1_048_576),
            Importance.LOW,
            EXAMPLE_MAX_ID_LENGTH_DOC)
        .define(
            EXAMPLE_MAX_TEXT_BYTES_CONFIG,
            Type.INT,
            EXAMPLE_MAX_TEXT_BYTES_DEFAULT,
            Range.between(1, Integer.MAX_VALUE),
            Importance.LOW,
            EXAMPLE_MAX_TEXT_BYTES_DOC)
        .define(
            EXAMPLE_MAX_GROUPS_CONFIG,
            Type.INT,
            EXAMPLE_MAX_GROUPS_DEFAULT,
            Range.between(0, 65_536),
            Importance.LOW,
            EXAMPLE_MAX_GROUPS_DOC)
        .define(
            EXAMPLE_MAX_GROUP_KEY_LENGTH_CONFIG,
            Type.INT,
            EXAMPLE_MAX_GROUP_KEY_LENGTH_DEFAULT,
            Range.between(1, 65_536),
            Importance.LOW,
            EXAMPLE_MAX_GROUP_KEY_LENGTH_DOC)
        .define(
            EXAMPLE_MAX_GROUP_VALUE_LENGTH_CONFIG,
            Type.INT,
            EXAMPLE_MAX_GROUP_VALUE_LENGTH_DEFAULT,
            Range.between(1, 65_536),
            Importance.LOW,
            EXAMPLE_MAX_GROUP_VALUE_LENGTH_DOC)
        .define(
            REST_PROBE_PORT_CONFIG,
            Type.INT,
            REST_PROBE_PORT_DEFAULT,
            Range.between(-1, 65_535),
            Importance.LOW,
            REST_PROBE_PORT_DOC)
        .define(
            REST_READ_TIMEOUT_CONFIG,
            Type.LONG,
            REST_READ_TIMEOUT_DEFAULT,
            Range.between(1000, 600_000),
            Importance.LOW,
            REST_READ_TIMEOUT_DOC)
        .define(
            HEALTH_THREAD_FAILURES_CONFIG,
            Type.INT,
            HEALTH_THREAD_FAILURES_DEFAULT,
            Range.between(1, 1000),
            Importance.LOW,
            HEALTH_THREAD_FAILURES_DOC)
        .define(
            HEALTH_WINDOW_CONFIG,
            Type.LONG,
            HEALTH_WINDOW_DEFAULT,
            Range.between(1000, 86_400_000),
            Importance.LOW,
            HEALTH_WINDOW_DOC)
        .define(
            HEALTH_STALL_CONFIG,
            Type.LONG,
            HEALTH_STALL_DEFAULT,
            Range.between(1000, 86_400_000),
            Importance.LOW,
            HEALTH_STALL_DOC)
        .define(
            FEEDBACK_MAX_ABS_LOSS_CONFIG,
            Type.DOUBLE,
            FEEDBACK_MAX_ABS_LOSS_DEFAULT,
            Range.between(1e-6, 1e300),
            Importance.LOW,
            FEEDBACK_MAX_ABS_LOSS_DOC);
  }

  public String applicationId() {
    return getString(APPLICATION_ID_CONFIG);
  }

  public String bootstrapServers() {
    return getString(BOOTSTRAP_SERVERS_CONFIG);
  }

  public String schemaRegistryUrl() {
    return getString(SCHEMA_REGISTRY_URL_CONFIG);
  }

  /** The registry's basic-auth user info, or null; a {@link Password} so it never prints. */
  public Password schemaRegistryAuth() {
    return getPassword(SCHEMA_REGISTRY_AUTH_CONFIG);
  }

  /** Options of the schema registry client. */
  public io.sieve.registry.RestSchemaRegistry.Options registryOptions() {
    io.sieve.registry.RestSchemaRegistry.Builder b =
        io.sieve.registry.RestSchemaRegistry.Options.builder(schemaRegistryUrl());
    Password auth = schemaRegistryAuth();
    if (auth != null && !auth.value().isBlank()) {
      b.basicAuth(auth.value());
    }
    return b.build();
  }

  public int partitions() {
    return getInt(TOPIC_PARTITIONS_CONFIG);
  }

  public short replicationFactor() {
    return getShort(TOPIC_REPLICATION_CONFIG);
  }

  public int dimension() {
    return getInt(EMBEDDING_DIMENSION_CONFIG);
  }

  public String batchTopic(String trainerId) {
    return getString(TOPIC_BATCHES_PREFIX_CONFIG) + trainerId;
  }

  /** Kafka client security settings, passed unchanged to every client Sieve makes. */
  public Map<String, Object> clientPassThrough() {
    Map<String, Object> out = new HashMap<>();
    originals()
        .forEach(
            (key, value) -> {
              String lower = key.toLowerCase(Locale.ROOT);
              if (lower.equals("security.protocol")
                  || lower.startsWith("sasl.")
                  || lower.startsWith("ssl.")) {
                out.put(key, value);
              }
            });
    return out;
  }

  /** The first retry backoff of the stream threads' producers, in milliseconds. */
  public static final int PRODUCER_RETRY_BACKOFF_MS = 10;

  /** Records a stream thread's main consumer returns per poll at most. */
  public static final int MAIN_MAX_POLL_RECORDS = 50;

  /** {@value #STREAM_THREADS_CONFIG}, or one thread per available processor when it is 0. */
  public int streamThreads() {
    int configured = getInt(STREAM_THREADS_CONFIG);
    return configured > 0 ? configured : Runtime.getRuntime().availableProcessors();
  }

  /** The Kafka Streams properties of this service. */
  public Properties streamsProperties() {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId());
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    p.put(StreamsConfig.STATE_DIR_CONFIG, getString(STATE_DIR_CONFIG));
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, getString(PROCESSING_GUARANTEE_CONFIG));
    p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, getInt(STANDBY_REPLICAS_CONFIG));
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, streamThreads());
    // one block cache and write-buffer budget for every store of the instance (Kafka Streams
    // passes its whole configuration, this key included, to the setter)
    p.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDbConfig.class);
    p.put(ROCKSDB_MEMORY_CONFIG, getLong(ROCKSDB_MEMORY_CONFIG));
    p.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) replicationFactor());
    int maxRecordBytes = maxRecordBytes();
    p.put(StreamsConfig.producerPrefix("max.request.size"), maxRecordBytes);
    // a producer batch larger than the topics' max.message.bytes is refused, and the producer
    // splits it into batches of batch.size again, forever: keep it within the topics' limit
    p.put(StreamsConfig.producerPrefix("batch.size"), Math.min(131_072, maxRecordBytes));
    p.put(StreamsConfig.producerPrefix("linger.ms"), 5);
    // a transaction begun just after the last one committed is often refused as concurrent
    // (CONCURRENT_TRANSACTIONS: the last one's markers are still being written) when its offsets
    // are added, and the client retries after retry.backoff.ms, 100 by default: a 100 ms tail on
    // every such commit, a trainer's release among them. Retries still back off exponentially up
    // to retry.backoff.max.ms (1 s)
    p.put(StreamsConfig.producerPrefix("retry.backoff.ms"), PRODUCER_RETRY_BACKOFF_MS);
    p.put(StreamsConfig.mainConsumerPrefix("fetch.max.wait.ms"), 10);
    // a thread goes back to poll (and to a trainer's credit waiting in its feedback partition)
    // after each poll's records are processed: with Kafka Streams' 1,000 per poll, a feedback
    // record waits behind up to 1,000 examples' processing
    p.put(StreamsConfig.mainConsumerPrefix("max.poll.records"), MAIN_MAX_POLL_RECORDS);
    p.put(StreamsConfig.topicPrefix("max.message.bytes"), maxRecordBytes);
    p.putAll(clientPassThrough());
    p.putAll(originalsWithPrefix(STREAMS_PREFIX));
    return p;
  }
}
