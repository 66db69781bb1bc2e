package io.sieve.query;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.sieve.avro.CentroidModel;
import io.sieve.avro.ClusterStats;
import io.sieve.avro.RecentBatches;
import io.sieve.avro.TrainerControl;
import io.sieve.avro.TrainerState;
import io.sieve.config.SieveConfig;
import io.sieve.config.Topics;
import io.sieve.plan.TrainerControls;
import io.sieve.policy.PlanContext;
import io.sieve.stream.SieveMetrics;
import io.sieve.stream.Stores;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The REST API of one instance, on the JDK's HTTP server: JSON over the stores, the Prometheus
 * scrape, liveness and readiness.
 *
 * <pre>
 * GET /health                   200 unless the app failed or makes no progress (no token needed)
 * GET /ready                    200 when RUNNING, else 503 (no token needed)
 * GET /metrics                  Prometheus text
 * GET /clusters                 every cluster: model weight, pool size, seen, group counts, age
 * GET /clusters/{id}            one cluster
 * GET /trainers                 every trainer, gathered from all instances
 * GET /trainers/{id}            spec, policy state, sequence, outstanding batches
 * GET /trainers/{id}/batches    composition of its recent batches
 * POST /trainers/{id}/pause|resume                    operator controls (rest.token required)
 * POST /trainers/{id}/skip|rewind?to=N
 * POST /trainers/{id}/quarantine|lift?cluster=C       or ?group=attr=value
 * </pre>
 *
 * A control is written to the trainer-controls topic and answered 202 once the write is
 * acknowledged: the planner applies it in order with the trainer's spec and feedback, and a control
 * that does not apply to the trainer's state (a skip backwards, a lift of nothing) becomes a dead
 * letter. Controls need {@code rest.token}: without one they answer 403, so that an API open to
 * reading is not open to steering.
 *
 * <p>The server is bound when it is made, before Kafka Streams, so that the address it advertises
 * ({@code application.server}) is the real one even with port 0; it serves once {@link #start} is
 * called.
 *
 * <p>Slow clients: the JDK server reads a request on its executor's threads, so a client that sends
 * its headers slowly holds a thread. Every request must arrive and be answered within {@code
 * rest.read.timeout.ms} or its connection is closed, and with {@code rest.probe.port} set {@code
 * /health} and {@code /ready} are also served on a listener of their own, with threads of their
 * own: clients of the API cannot starve the probes.
 */
public final class QueryServer implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(QueryServer.class);
  private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
  private static final String LOCAL_SCOPE = "scope=local";

  private final HttpServer server;
  private final ExecutorService executor;
  private final HttpServer probes;
  private final ExecutorService probeExecutor;
  private volatile Liveness liveness = new Liveness(Integer.MAX_VALUE, 1);
  private final HostInfo self;
  private final Password token;
  private final Duration timeout;
  private final ObjectMapper json = new ObjectMapper();
  private volatile StoreQueries queries;
  private volatile StoreGauges gauges;
  private volatile SieveMetrics metrics;
  private volatile Controls controls;
  private boolean started;

  /** Writes an operator's control to the trainer-controls topic and waits for the write. */
  @FunctionalInterface
  public interface Controls {
    RecordMetadata send(TrainerControl control);
  }

  /** The query parameters each control takes besides {@code reason}. */
  private static final Map<String, Set<String>> CONTROL_PARAMS =
      Map.of(
          TrainerControls.PAUSE, Set.of(),
          TrainerControls.RESUME, Set.of(),
          TrainerControls.SKIP, Set.of("to"),
          TrainerControls.REWIND, Set.of("to"),
          TrainerControls.QUARANTINE, Set.of("cluster", "group"),
          TrainerControls.LIFT, Set.of("cluster", "group"));

  private QueryServer(
      HttpServer server,
      ExecutorService executor,
      HttpServer probes,
      ExecutorService probeExecutor,
      SieveConfig config) {
    this.server = server;
    this.executor = executor;
    this.probes = probes;
    this.probeExecutor = probeExecutor;
    this.self =
        new HostInfo(config.getString(SieveConfig.REST_HOST_CONFIG), server.getAddress().getPort());
    Password t = config.getPassword(SieveConfig.REST_TOKEN_CONFIG);
    this.token = t == null || t.value().isEmpty() ? null : t;
    this.timeout = Duration.ofMillis(config.getLong(SieveConfig.REST_QUERY_TIMEOUT_CONFIG));
  }

  /** Binds {@code rest.host:rest.port}; nothing is served until {@link #start}. */
  public static QueryServer bind(SieveConfig config) {
    String host = config.getString(SieveConfig.REST_HOST_CONFIG);
    int port = config.getInt(SieveConfig.REST_PORT_CONFIG);
    readTimeouts(config.getLong(SieveConfig.REST_READ_TIMEOUT_CONFIG));
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(host, port), 64);
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot bind the REST API to "
              + host
              + ":"
              + port
              + " ("
              + e.getMessage()
              + "); another instance on this machine needs another rest.port, or rest.port=0 for a"
              + " free one",
          e);
    }
    ExecutorService executor = threads("sieve-rest-", 8);
    server.setExecutor(executor);
    int probePort = config.getInt(SieveConfig.REST_PROBE_PORT_CONFIG);
    HttpServer probes = null;
    ExecutorService probeExecutor = null;
    if (probePort >= 0) {
      try {
        probes = HttpServer.create(new InetSocketAddress(host, probePort), 16);
      } catch (IOException e) {
        server.stop(0);
        executor.shutdownNow();
        throw new IllegalStateException(
            "cannot bind the probe listener to " + host + ":" + probePort + " (" + e + ")", e);
      }
      probeExecutor = threads("sieve-probe-", 2);
      probes.setExecutor(probeExecutor);
    }
    return new QueryServer(server, executor, probes, probeExecutor, config);
  }

  private static ExecutorService threads(String prefix, int count) {
    AtomicInteger n = new AtomicInteger();
    return Executors.newFixedThreadPool(
        count,
        r -> {
          Thread thread = new Thread(r, prefix + n.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        });
  }

  /**
   * The JDK server's only read and write timeouts are these process-wide settings, read once when
   * its first server is made; an operator's own -D settings win.
   */
  private static void readTimeouts(long timeoutMs) {
    String seconds = Long.toString(Math.max(1, (timeoutMs + 999) / 1000));
    if (System.getProperty("sun.net.httpserver.maxReqTime") == null) {
      System.setProperty("sun.net.httpserver.maxReqTime", seconds);
    }
    if (System.getProperty("sun.net.httpserver.maxRspTime") == null) {
      System.setProperty("sun.net.httpserver.maxRspTime", seconds);
    }
  }

  /** The probe listener's address, or null when {@code rest.probe.port} is not set. */
  public URI probeUrl() {
    return probes == null
        ? null
        : URI.create("http://" + self.host() + ":" + probes.getAddress().getPort());
  }

  /** The address other instances reach this one at: {@code application.server}. */
  public HostInfo hostInfo() {
    return self;
  }

  public URI url() {
    return URI.create("http://" + self.host() + ":" + self.port());
  }

  /** Where {@code POST} controls go; without it they answer 503. */
  public void controls(Controls controls) {
    this.controls = controls;
  }

  /** Serves queries over this app's stores; idempotent. */
  public synchronized void start(KafkaStreams streams, SieveMetrics metrics) {
    start(streams, metrics, liveness);
  }

  /**
   * Serves queries, and tells {@code /health} of stream thread failures through {@code liveness}.
   */
  public synchronized void start(KafkaStreams streams, SieveMetrics metrics, Liveness liveness) {
    if (started) {
      return;
    }
    this.liveness = liveness;
    this.queries = new StoreQueries(streams, self, timeout);
    this.gauges = new StoreGauges(queries, metrics);
    this.metrics = metrics;
    server.createContext("/", this::handle);
    server.start();
    if (probes != null) {
      probes.createContext("/", this::handleProbe);
      probes.start();
    }
    started = true;
    LOG.info("REST API on {} ({})", url(), token == null ? "no token" : "bearer token required");
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
    if (probes != null) {
      probes.stop(0);
      probeExecutor.shutdownNow();
    }
  }

  /** The probe listener: /health and /ready only. */
  private void handleProbe(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getPath();
    Response response;
    try {
      response =
          switch (path) {
            case "/health" -> health();
            case "/ready" -> ready();
            default -> notFound(path);
          };
    } catch (RuntimeException e) {
      response = Response.error(500, e.getClass().getSimpleName() + ": " + e.getMessage());
    }
    write(exchange, response);
  }

  // ---- dispatch ------------------------------------------------------------------------------

  private void handle(HttpExchange exchange) throws IOException {
    Response response;
    try {
      response = route(exchange);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      response = Response.notQueryable("interrupted", 1);
    } catch (NotQueryableException e) {
      response = Response.notQueryable(e.getMessage(), 1);
    } catch (RuntimeException e) {
      LOG.warn("query {} failed", exchange.getRequestURI().getPath(), e);
      response = Response.error(500, e.getClass().getSimpleName() + ": " + e.getMessage());
    }
    write(exchange, response);
  }

  private Response route(HttpExchange exchange)
      throws NotQueryableException, InterruptedException, IOException {
    String path = exchange.getRequestURI().getPath();
    if (path.length() > 1 && path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    String[] parts = path.substring(1).split("/", -1);
    boolean controlPath =
        parts.length == 3 && parts[0].equals("trainers") && CONTROL_PARAMS.containsKey(parts[2]);
    if (controlPath && !"POST".equals(exchange.getRequestMethod())) {
      return new Response(
          405,
          Map.of("status", 405, "error", "a control is a POST"),
          null,
          "application/json",
          Map.of("Allow", "POST"));
    }
    if (!controlPath && !"GET".equals(exchange.getRequestMethod())) {
      return new Response(
          405,
          Map.of("status", 405, "error", "only GET"),
          null,
          "application/json",
          Map.of("Allow", "GET"));
    }
    if (path.equals("/health")) {
      return health();
    }
    // the state alone, as /health: probes cannot carry a secret, and it reveals nothing else
    if (path.equals("/ready")) {
      return ready();
    }
    if (!authorized(exchange)) {
      return new Response(
          401,
          Map.of("status", 401, "error", "a bearer token is required"),
          null,
          "application/json",
          Map.of("WWW-Authenticate", "Bearer realm=\"sieve\""));
    }
    String query = exchange.getRequestURI().getRawQuery();
    if (controlPath) {
      return control(parts[1], parts[2], query);
    }
    boolean forwarded = exchange.getRequestHeaders().containsKey(Forwarder.FORWARDED_HEADER);
    String authorization = exchange.getRequestHeaders().getFirst("Authorization");
    switch (parts[0]) {
      case "ready":
        return parts.length == 1 ? ready() : notFound(path);
      case "metrics":
        return parts.length == 1 ? metrics() : notFound(path);
      case "clusters":
        if (parts.length == 1) {
          return clusters(null);
        }
        if (parts.length == 2) {
          return clusters(parts[1]);
        }
        return notFound(path);
      case "trainers":
        if (parts.length == 1) {
          return trainers(LOCAL_SCOPE.equals(query), authorization);
        }
        if (parts.length == 2) {
          return trainer(parts[1], path, forwarded, authorization);
        }
        if (parts.length == 3 && parts[2].equals("batches")) {
          return recentBatches(parts[1], path, forwarded, authorization);
        }
        return notFound(path);
      default:
        return notFound(path);
    }
  }

  /** Writes one control of the trainer from the request's query parameters. */
  private Response control(String trainerId, String action, String rawQuery) {
    if (token == null) {
      return Response.error(
          403, "operator controls over REST need rest.token to be set on this instance");
    }
    Controls sink = controls;
    if (sink == null) {
      return Response.error(503, "operator controls are not available on this instance");
    }
    Map<String, String> params;
    try {
      params = queryParams(rawQuery);
    } catch (IllegalArgumentException e) {
      return Response.error(400, e.getMessage());
    }
    Set<String> allowed = CONTROL_PARAMS.get(action);
    for (String name : params.keySet()) {
      if (!allowed.contains(name) && !name.equals("reason")) {
        return Response.error(
            400,
            action + " takes no parameter '" + name + "'; it takes " + allowed + " and reason");
      }
    }
    TrainerControl.Builder control =
        TrainerControl.newBuilder()
            .setTrainerId(trainerId)
            .setAction(action)
            .setReason(params.get("reason"))
            .setIssuedBy("rest")
            .setIssuedAt(Instant.now());
    try {
      if (params.containsKey("to")) {
        control.setSequence(Long.parseLong(params.get("to")));
      }
      if (params.containsKey("cluster")) {
        control.setClusterId(Integer.parseInt(params.get("cluster")));
      }
    } catch (NumberFormatException e) {
      return Response.error(400, "not a number: " + e.getMessage());
    }
    control.setGroup(params.get("group"));
    TrainerControl built = control.build();
    TrainerControls.Problem problem = TrainerControls.check(trainerId, built);
    if (problem != null) {
      return Response.error(400, problem.reason() + ": " + problem.detail());
    }
    RecordMetadata written;
    try {
      written = sink.send(built);
    } catch (RuntimeException e) {
      LOG.warn("control {} of trainer {} not written", action, trainerId, e);
      return Response.notQueryable("the control could not be written: " + e.getMessage(), 1);
    }
    LOG.info("trainer {}: {} written over REST", trainerId, TrainerControls.describe(built));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("trainerId", trainerId);
    body.put("control", TrainerControls.describe(built));
    body.put("topic", written.topic());
    body.put("partition", written.partition());
    body.put("offset", written.offset());
    body.put(
        "note",
        "the planner applies it in order with the trainer's feedback: GET /trainers/"
            + trainerId
            + " shows the effect, and a control that does not apply is a dead letter");
    return Response.json(202, body);
  }

  /** The decoded query parameters; a repeated one is an error. */
  private static Map<String, String> queryParams(String raw) {
    Map<String, String> out = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name =
          URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String value =
          eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      if (out.put(name, value) != null) {
        throw new IllegalArgumentException("parameter '" + name + "' given twice");
      }
    }
    return out;
  }

  private boolean authorized(HttpExchange exchange) {
    if (token == null) {
      return true;
    }
    String given = exchange.getRequestHeaders().getFirst("Authorization");
    byte[] expected = ("Bearer " + token.value()).getBytes(StandardCharsets.UTF_8);
    // constant-time, so the comparison does not leak how much of a guess was right
    return given != null && MessageDigest.isEqual(expected, given.getBytes(StandardCharsets.UTF_8));
  }

  private static Response notFound(String path) {
    return Response.error(404, "no such resource: " + path);
  }

  // ---- endpoints -----------------------------------------------------------------------------

  private Response health() {
    KafkaStreams.State state = queries.streams().state();
    boolean failed =
        state == KafkaStreams.State.ERROR
            || state == KafkaStreams.State.PENDING_ERROR
            || state == KafkaStreams.State.PENDING_SHUTDOWN
            || state == KafkaStreams.State.NOT_RUNNING;
    String problem = failed ? null : liveness.problem(progress());
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", failed || problem != null ? "DOWN" : "UP");
    body.put("state", state);
    body.put("threadFailures", liveness.totalFailures());
    if (problem != null) {
      body.put("problem", problem);
    }
    return Response.json(failed || problem != null ? 503 : 200, body);
  }

  /**
   * This instance's tasks' offsets, threads' activity and trainers; null (or null parts) while
   * Kafka Streams cannot say. Only local reads: a probe never waits on a rebalance or a peer.
   */
  private Liveness.Progress progress() {
    try {
      KafkaStreams streams = queries.streams();
      return new Liveness.Progress(
          TaskStalls.of(streams), ThreadStalls.of(streams), localTrainerStates(), pool());
    } catch (RuntimeException e) {
      // a thread's task set changes under the read during a rebalance: judge at the next probe
      LOG.debug("task offsets or thread metrics not readable now", e);
      return null;
    }
  }

  /** The trainers this instance owns; null while their store is not queryable. */
  private List<TrainerState> localTrainerStates() {
    try {
      List<TrainerState> out = new ArrayList<>();
      ReadOnlyKeyValueStore<String, TrainerState> store = queries.local(Stores.TRAINERS);
      try (KeyValueIterator<String, TrainerState> it = store.all()) {
        it.forEachRemaining(
            kv -> {
              if (kv.value != null) {
                out.add(kv.value);
              }
            });
      }
      return out;
    } catch (InvalidStateStoreException e) {
      return null;
    }
  }

  /** Pool sizes and group counts as the planner reads them; null while not queryable. */
  private PlanContext pool() {
    try {
      SortedMap<Integer, Long> sizes = new TreeMap<>();
      Map<Integer, Map<String, Long>> groups = new TreeMap<>();
      ReadOnlyKeyValueStore<Integer, ClusterStats> stats = queries.local(Stores.CLUSTER_STATS);
      try (KeyValueIterator<Integer, ClusterStats> it = stats.all()) {
        it.forEachRemaining(
            kv -> {
              if (kv.value != null && kv.value.getSize() > 0) {
                sizes.put(kv.key, kv.value.getSize());
                groups.put(kv.key, kv.value.getGroupCounts());
              }
            });
      }
      return new PlanContext(sizes, groups, null);
    } catch (InvalidStateStoreException e) {
      return null;
    }
  }

  /** Since when each trainer of this instance waits for a batch the planner would plan. */
  private Map<String, Long> waitingTrainers() {
    List<TrainerState> trainers = localTrainerStates();
    PlanContext pool = pool();
    if (trainers == null || pool == null) {
      return null;
    }
    Map<String, Long> waiting = liveness.waitingTrainers(trainers, pool);
    metrics.trainersWaiting(
        trainers.stream().map(TrainerState::getTrainerId).toList(),
        waiting,
        System.currentTimeMillis());
    return waiting;
  }

  private Response ready() {
    KafkaStreams.State state = queries.streams().state();
    boolean running = state == KafkaStreams.State.RUNNING;
    Map<String, Object> body = Map.of("ready", running, "state", state.name());
    return running
        ? Response.ok(body)
        : new Response(503, body, null, "application/json", Map.of("Retry-After", "1"));
  }

  private Response metrics() {
    gauges.refresh();
    waitingTrainers();
    return Response.raw(200, metrics.scrape().getBytes(StandardCharsets.UTF_8), PROMETHEUS_TEXT);
  }

  /** From the global stores, which every instance holds whole: no routing. */
  private Response clusters(String id) throws NotQueryableException, InterruptedException {
    Integer clusterId = null;
    if (id != null) {
      try {
        clusterId = Integer.valueOf(id);
      } catch (NumberFormatException e) {
        return Response.error(400, "a cluster id is an integer: " + id);
      }
    }
    Integer wanted = clusterId;
    return queries.retrying(
        "the cluster stores",
        remaining -> {
          ReadOnlyKeyValueStore<String, CentroidModel> models = queries.local(Stores.CENTROIDS);
          ReadOnlyKeyValueStore<Integer, ClusterStats> stats = queries.local(Stores.CLUSTER_STATS);
          CentroidModel model = models.get(Topics.MODEL_KEY);
          long now = System.currentTimeMillis();
          if (wanted != null) {
            ClusterStats s = stats.get(wanted);
            var centroid = Views.liveClusters(model).get(wanted);
            if (s == null && centroid == null) {
              return Response.error(404, "no cluster " + wanted);
            }
            return Response.ok(Views.cluster(wanted, centroid, s, now));
          }
          SortedMap<Integer, ClusterStats> all = new TreeMap<>();
          try (KeyValueIterator<Integer, ClusterStats> it = stats.all()) {
            it.forEachRemaining(kv -> all.put(kv.key, kv.value));
          }
          return Response.ok(Views.clusters(model, all, now));
        });
  }

  /** Every trainer: this instance's own, plus each other instance's, asked with scope=local. */
  private Response trainers(boolean localOnly, String authorization)
      throws NotQueryableException, InterruptedException {
    return queries.retrying(
        "the trainer store",
        remaining -> {
          List<Map<String, Object>> all = new ArrayList<>(localTrainers());
          if (!localOnly) {
            Collection<StreamsMetadata> hosts =
                queries.streams().streamsMetadataForStore(Stores.TRAINERS);
            for (StreamsMetadata host : hosts) {
              if (host.hostInfo().equals(self)) {
                continue;
              }
              Response r =
                  queries.forward(
                      host.hostInfo(), "/trainers", LOCAL_SCOPE, authorization, remaining);
              if (r.status() != 200) {
                throw new IOException(host.hostInfo() + " answered " + r.status());
              }
              Map<String, List<Map<String, Object>>> theirs =
                  json.readValue(r.raw(), new TypeReference<>() {});
              all.addAll(theirs.getOrDefault("trainers", List.of()));
            }
          }
          all.sort(Comparator.comparing(m -> String.valueOf(m.get("trainerId"))));
          Map<String, Object> body = new LinkedHashMap<>();
          body.put("trainers", all);
          return Response.ok(body);
        });
  }

  private List<Map<String, Object>> localTrainers() {
    List<Map<String, Object>> out = new ArrayList<>();
    ReadOnlyKeyValueStore<String, TrainerState> store = queries.local(Stores.TRAINERS);
    try (KeyValueIterator<String, TrainerState> it = store.all()) {
      it.forEachRemaining(
          kv -> {
            if (kv.value != null) {
              out.add(Views.trainerSummary(kv.value));
            }
          });
    }
    return out;
  }

  private Response trainer(String id, String path, boolean forwarded, String authorization)
      throws NotQueryableException, InterruptedException {
    return byKey(
        Stores.TRAINERS,
        id,
        path,
        forwarded,
        authorization,
        (ReadOnlyKeyValueStore<String, TrainerState> store) -> {
          TrainerState state = store.get(id);
          if (state == null) {
            return Response.error(404, "no trainer " + id);
          }
          Map<String, Object> body = Views.trainer(state);
          Map<String, Long> waiting = waitingTrainers();
          Long since = waiting == null ? null : waiting.get(id);
          // credit and a pool holding a batch, and none planned: starved after health.stall.ms
          body.put("waitingSince", since == null ? null : Instant.ofEpochMilli(since).toString());
          body.put(
              "starved", since != null && System.currentTimeMillis() - since >= liveness.stallMs());
          return Response.ok(body);
        });
  }

  /**
   * From the recent-batches store (keyed by trainer). A trainer that has had no batch yet answers
   * an empty list; one that was never declared is unknown to this store too, so it also answers
   * empty rather than 404.
   */
  private Response recentBatches(String id, String path, boolean forwarded, String authorization)
      throws NotQueryableException, InterruptedException {
    return byKey(
        Stores.RECENT_BATCHES,
        id,
        path,
        forwarded,
        authorization,
        (ReadOnlyKeyValueStore<String, RecentBatches> store) ->
            Response.ok(Views.recentBatches(id, store.get(id))));
  }

  private interface LocalQuery<V> {
    Response answer(ReadOnlyKeyValueStore<String, V> store);
  }

  /**
   * Answers from this instance when it owns the key's partition, or forwards to the owner. A
   * forwarded query that finds the key moved is retried here and then answered 503, never forwarded
   * again.
   */
  private <V> Response byKey(
      String store,
      String key,
      String path,
      boolean forwarded,
      String authorization,
      LocalQuery<V> local)
      throws NotQueryableException, InterruptedException {
    return queries.retrying(
        store + " for key " + key,
        remaining -> {
          KeyQueryMetadata owner = queries.owner(store, key);
          if (owner.activeHost().equals(self)) {
            return local.answer(queries.<V>localPartition(store, owner.partition()));
          }
          if (forwarded) {
            throw new StoreQueries.NotOwnedHereException(
                "key " + key + " of " + store + " is owned by " + owner.activeHost());
          }
          return queries.forward(owner.activeHost(), path, null, authorization, remaining);
        });
  }

  // ---- writing -------------------------------------------------------------------------------

  private void write(HttpExchange exchange, Response response) throws IOException {
    byte[] body =
        response.raw() != null
            ? response.raw()
            : json.writeValueAsBytes(response.json() == null ? Map.of() : response.json());
    exchange.getResponseHeaders().set("Content-Type", response.contentType());
    response.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
    exchange.sendResponseHeaders(response.status(), body.length == 0 ? -1 : body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }
}
