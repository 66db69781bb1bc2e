package io.sieve.quality;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.sieve.app.SieveService;
import io.sieve.app.TrainerAdmin;
import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainerSpec;
import io.sieve.avro.TrainingBatch;
import io.sieve.avro.TrainingExample;
import io.sieve.cluster.Vectors;
import io.sieve.config.SieveConfig;
import io.sieve.config.Topics;
import io.sieve.embed.HashingEmbedder;
import io.sieve.embedded.EmbeddedKafka;
import io.sieve.embedded.RegistryServer;
import io.sieve.embedded.ShutdownCleanup;
import io.sieve.embedded.WorkDir;
import io.sieve.policy.GroupRefinementPolicy;
import io.sieve.policy.GroupValues;
import io.sieve.policy.IterativeRefinementPolicy;
import io.sieve.policy.Policies;
import io.sieve.policy.UniformPolicy;
import io.sieve.stream.SieveMetrics;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The scenario benchmark of selection quality (QUALITY.md): each scenario's stream goes through the
 * real topology (embedded broker and registry), and one trainer per policy × trainer kind × seed
 * reads its batches and answers with feedback v2; the baselines without Sieve ({@code raw-uniform},
 * {@code oracle}, {@code static-subset}) read the stream locally. Seeds are paired across policies:
 * seed s has the same split, stream order and model initialisation everywhere, so the report gives
 * per policy the mean paired difference against the scenario's baseline with its 95 % t-interval,
 * on the scenario's primary metric (declared in the report before its results).
 */
public final class ScenarioBenchmark {

  /** What one run does; see the CLI for the meaning of each. */
  public record Settings(
      List<String> scenarios,
      List<String> policies,
      List<String> trainers,
      int seeds,
      int budget,
      int batchSize,
      int streamSize,
      int testSize,
      int validationSize,
      int evalPoints,
      int evalBatches,
      int passes,
      double learningRate,
      double targetFraction,
      long dataSeed,
      Duration stallTimeout,
      Path reportDir,
      Path dataDir,
      Map<String, String> policyParams,
      Map<String, String> sieveConfig,
      String learnability,
      String validationMix) {

    /**
     * The trainers' learnability: {@code reference} (the default), {@code step} or {@code class}.
     */
    public static final List<String> LEARNABILITY = ScenarioTrainer.Setup.LEARNABILITY;

    /**
     * The trainers' validation slice: {@code natural} (the held-out rows' own mix, the default) or
     * {@code equal} (an equal number per value of the group attribute, S3 only: a trainer that
     * watches its worst group holds out enough of each group to see its curve).
     */
    public static final List<String> VALIDATION_MIX = List.of("natural", "equal");

    public Settings {
      if (!LEARNABILITY.contains(learnability)) {
        throw new IllegalArgumentException(
            "learnability must be one of " + LEARNABILITY + ": '" + learnability + "'");
      }
      if (!VALIDATION_MIX.contains(validationMix)) {
        throw new IllegalArgumentException(
            "validation mix must be one of " + VALIDATION_MIX + ": '" + validationMix + "'");
      }
    }
  }

  /** Where {@code scripts/fetch-quality-data.sh} puts the tabular data by default. */
  public static final Path DEFAULT_DATA_DIR =
      Path.of(System.getProperty("user.home"), ".cache", "sieve", "quality-data");

  /** Baselines that read the stream without Sieve. */
  static final List<String> LOCAL =
      List.of("raw-uniform", "oracle", "static-subset", "frozen-uniform");

  /**
   * Baselines expressed as group targets on {@code uniform} when no policy of that name is
   * registered: {@code stratified} (equal per value of the scenario's attribute), {@code
   * label-balanced} (equal per label), {@code sqrt-balanced} (per label ∝ √supply).
   */
  static final List<String> ALIASES = List.of("stratified", "label-balanced", "sqrt-balanced");

  /** A registered policy run with preset parameters under a name of its own. */
  record Preset(String policy, Map<String, String> params) {}

  /**
   * Presets: {@code recency-uniform}, the recency-mixed uniform baseline of drift (half of each
   * batch from the examples pooled since the trainer's cycle began, the rest RS2 uniform); {@code
   * refinement-learnability}, iterative refinement scored by learnability alone (loss before minus
   * after the trainer's step) instead of the default order that prefers validation gain; {@code
   * label-refinement}, group refinement over the labels from the equal start (S5, S6).
   */
  static final Map<String, Preset> PRESETS =
      Map.of(
          "recency-uniform",
          new Preset(UniformPolicy.NAME, Map.of(UniformPolicy.RECENCY_SHARE, "0.5")),
          "label-refinement",
          new Preset(
              GroupRefinementPolicy.NAME,
              Map.of(
                  GroupRefinementPolicy.ATTRIBUTE,
                  GroupValues.LABEL,
                  IterativeRefinementPolicy.START,
                  "equal")),
          "refinement-learnability",
          new Preset(IterativeRefinementPolicy.NAME, Map.of("policy.reward", "learnability")));

  static final List<String> FEEDBACK =
      List.of(
          "cluster-balanced",
          "iterative-refinement",
          "group-refinement",
          "ucb",
          "exp3",
          "coverage",
          "equitable");

  private final Settings settings;
  private final PrintStream out;
  private final List<String> unfinished = new ArrayList<>();

  public ScenarioBenchmark(Settings settings, PrintStream out) {
    this.settings = settings;
    this.out = out;
  }

  /** Whether {@code name} names a scenario (S0..S6 or its name). */
  public static boolean knownScenario(String name) {
    return Scenario.byName(name) != null;
  }

  /** Whether the scenario named can hold out a validation slice equal per group (S3's data). */
  public static boolean equalValidationSupported(String name) {
    Scenario s = Scenario.byName(name);
    return s != null && "gssvocab".equals(s.dataset);
  }

  /** Every scenario's id, S0 first. */
  public static List<String> scenarioIds() {
    return java.util.Arrays.stream(Scenario.values()).map(Scenario::name).toList();
  }

  /** Ids and names, for messages. */
  public static List<String> scenarioNames() {
    return Scenario.names();
  }

  /** The policies a scenario compares by default: its baselines, then every feedback policy. */
  static List<String> defaultPolicies(Scenario s) {
    List<String> p = new ArrayList<>(List.of("raw-uniform", "uniform"));
    if (s != Scenario.S5N) {
      // S5N's group attribute is its class: equal per group is label-balanced
      p.add("stratified");
    }
    if (s.labelsMatter()) {
      p.add("label-balanced");
      p.add("label-refinement");
    }
    if (s.longTail()) {
      p.add("sqrt-balanced");
    }
    if (s.hasOracle()) {
      p.add("oracle");
    }
    if (s == Scenario.S4) {
      p.add("static-subset");
    }
    if (s == Scenario.S6) {
      p.add("recency-uniform");
      p.add("frozen-uniform");
    }
    p.addAll(FEEDBACK);
    return p;
  }

  /**
   * A variant: a registered policy with parameters of its own, written {@code
   * name:key=value[:key=value...]} (e.g. {@code iterative-refinement:refinement.floor=1}), so that
   * one run compares settings of one policy side by side; null when {@code policy} is not one.
   */
  static Preset variant(String policy) {
    String[] parts = policy.split(":");
    if (parts.length < 2 || Policies.byName(parts[0]) == null) {
      return null;
    }
    Map<String, String> params = new LinkedHashMap<>();
    for (int i = 1; i < parts.length; i++) {
      int eq = parts[i].indexOf('=');
      if (eq <= 0) {
        return null;
      }
      params.put(parts[i].substring(0, eq), parts[i].substring(eq + 1));
    }
    return new Preset(parts[0], params);
  }

  /**
   * The share of {@code share-<x>}, a fixed-share baseline: {@code uniform} with exact targets
   * giving the scenario attribute's scarcest value the share x and the other values the rest in
   * proportion to their supply (S3's fixed-share sweep); NaN when {@code policy} is not one.
   */
  static double fixedShare(String policy) {
    if (!policy.startsWith("share-")) {
      return Double.NaN;
    }
    try {
      double x = Double.parseDouble(policy.substring("share-".length()));
      return x > 0 && x < 1 ? x : Double.NaN;
    } catch (NumberFormatException e) {
      return Double.NaN;
    }
  }

  /** The policy parameters naming a group attribute, which a scenario fills in with its own. */
  static final List<String> ATTRIBUTE_KEYS =
      List.of("equitable.attribute", "stratified.attribute", "refinement.attribute");

  /**
   * {@code params} with {@code attribute} under each of {@link #ATTRIBUTE_KEYS} that {@code policy}
   * takes and {@code params} does not name.
   */
  static Map<String, String> withAttribute(
      String policy, Map<String, String> params, String attribute) {
    Map<String, String> filled = new LinkedHashMap<>(params);
    for (String key : ATTRIBUTE_KEYS) {
      filled.putIfAbsent(key, attribute);
    }
    Set<String> unknown = io.sieve.plan.TrainerSpecs.paramNames(policy, filled).unknown();
    Map<String, String> out = new LinkedHashMap<>(params);
    for (String key : ATTRIBUTE_KEYS) {
      if (!out.containsKey(key) && !unknown.contains(key)) {
        out.put(key, attribute);
      }
    }
    return out;
  }

  /** Null when the benchmark can run {@code policy}, else why not. */
  public static String unknown(String policy) {
    if (!Double.isNaN(fixedShare(policy))) {
      return null;
    }
    Preset v = variant(policy);
    if (v != null) {
      try {
        // the scenario fills in its group attribute where the variant names none (see spec)
        Policies.byName(v.policy())
            .checkParams(withAttribute(v.policy(), v.params(), "scenario-attribute"));
      } catch (IllegalArgumentException e) {
        return "policy variant '" + policy + "': " + e.getMessage();
      }
      return null;
    }
    if (Policies.byName(policy) != null
        || LOCAL.contains(policy)
        || ALIASES.contains(policy)
        || PRESETS.containsKey(policy)) {
      return null;
    }
    return "unknown policy '"
        + policy
        + "'; known: "
        + Policies.names()
        + ", baselines without Sieve "
        + LOCAL
        + ", group-target baselines "
        + ALIASES
        + ", presets "
        + new TreeMap<>(PRESETS).keySet()
        + ", a fixed share of the scarcest value share-<x> (0 < x < 1), or a variant"
        + " name:key=value[:key=value...]";
  }

  /** Trainers that stopped short of their budget because no batch came (empty when all ran). */
  public List<String> unfinished() {
    return unfinished;
  }

  /** Runs every scenario (failing fast on missing data) and writes the report. */
  public Map<String, Object> run() throws Exception {
    List<ScenarioData> data = new ArrayList<>();
    for (String name : settings.scenarios()) {
      Scenario s = Scenario.byName(name);
      long t0 = System.nanoTime();
      ScenarioData d = build(s);
      out.printf(
          "Built %s (%s) from %s: %,d streamed (%,d before training), %,d validation, %,d test,"
              + " %d classes (%.1f s) %s%n",
          s.name(),
          s.label,
          d.source(),
          d.stream().size(),
          d.arrival(),
          d.validation().y().length,
          d.test().y().length,
          d.classes(),
          (System.nanoTime() - t0) / 1e9,
          d.notes());
      data.add(d);
    }
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("settings", settingsMap());
    Map<String, Object> perScenario = new LinkedHashMap<>();
    Map<String, Map<String, Plots.Curve>> curves = new LinkedHashMap<>();
    long started = System.nanoTime();
    // closed also on SIGTERM or Ctrl-C: the registry process and the work directory
    try (ShutdownCleanup cleanup = ShutdownCleanup.install("sieve-quality-cleanup")) {
      WorkDir dir = cleanup.add(WorkDir.create("sieve-scenarios-"));
      EmbeddedKafka kafka = cleanup.add(EmbeddedKafka.start(dir.resolve("kafka"), Map.of()));
      RegistryServer registry =
          cleanup.add(RegistryServer.start(RegistryServer.locate(), dir.resolve("registry.log")));
      out.printf("Kafka broker %s, schema registry %s%n", kafka.bootstrapServers(), registry.url());
      for (ScenarioData d : data) {
        List<ScenarioTrainer> trainers = runScenario(d, kafka, registry, dir.path());
        Map<String, Object> r =
            ScenarioReport.summarise(d, trainers, policiesOf(d.scenario()), settings);
        perScenario.put(d.scenario().name(), r);
        for (String kind : settings.trainers()) {
          curves.put(
              d.scenario().name() + "-" + kind,
              ScenarioReport.curves(d, trainers, policiesOf(d.scenario()), kind));
        }
        out.println();
        out.print(ScenarioReport.markdown(d, r, settings));
        // written after every scenario, so that a long suite stopped midway keeps what it ran
        report.put("wallSeconds", Math.round((System.nanoTime() - started) / 1e8) / 10.0);
        report.put("scenarios", perScenario);
        report.put("unfinishedTrainers", unfinished);
        write(report, data, perScenario, curves);
      }
    }
    return report;
  }

  List<String> policiesOf(Scenario s) {
    return settings.policies() == null ? defaultPolicies(s) : settings.policies();
  }

  /** Loads the scenario's data set and applies its transformation. */
  ScenarioData build(Scenario s) {
    int held = settings.testSize() + settings.validationSize();
    long seed = settings.dataSeed();
    Dataset d;
    switch (s.dataset) {
      case "wordnet":
        d =
            WordNet.load(
                WordNet.DEFAULT_DIR,
                settings.streamSize(),
                held,
                seed,
                SieveConfig.EMBEDDING_DIMENSION_DEFAULT);
        break;
      case "fashion-mnist":
        // the long tail is cut from the whole training file, so that its head class is full
        d =
            FashionMnist.load(
                FashionMnist.DEFAULT_DIR,
                s == Scenario.S5 ? 60_000 : settings.streamSize(),
                held,
                seed);
        break;
      case "gssvocab":
        d =
            "equal".equals(settings.validationMix())
                ? GssVocab.loadEqualValidation(
                    settings.dataDir(), settings.testSize(), settings.validationSize(), seed)
                : GssVocab.load(settings.dataDir(), held, seed);
        break;
      case "shuttle":
        d = Shuttle.load(settings.dataDir(), settings.testSize(), settings.validationSize(), seed);
        break;
      default:
        throw new IllegalArgumentException("no loader for " + s.dataset);
    }
    ScenarioTrainer.Labelled validation = labelled(d.test().subList(0, settings.validationSize()));
    ScenarioTrainer.Labelled test =
        labelled(d.test().subList(settings.validationSize(), d.test().size()));
    Map<String, Object> notes = new LinkedHashMap<>();
    List<ScenarioData.Example> stream;
    List<ScenarioData.Example> clean = null;
    Set<String> bad = Set.of();
    int newClass = -1;
    int arrival;
    String attribute = d.groupAttribute();
    switch (s) {
      case S0, S4 -> stream = Scenarios.plain(d.stream(), attribute);
      case S1, S1C, S1I -> {
        Scenarios.Redundant r =
            Scenarios.redundant(
                d.stream(),
                attribute,
                Scenarios.S1_COPY_SHARE,
                Scenarios.S1_ZIPF_EXPONENT,
                s == Scenario.S1C ? Scenarios.S1C_TOPICS : 0,
                seed);
        stream = r.stream();
        clean = r.originals();
        notes.put("originals", r.originals().size());
        notes.put("copies", stream.size() - r.originals().size());
        notes.put(
            "distinctOriginalsCopied",
            stream.stream()
                .filter(e -> e.id().contains("~c"))
                .map(e -> e.id().substring(0, e.id().indexOf("~c")))
                .distinct()
                .count());
      }
      case S2 -> {
        Scenarios.Noisy n =
            Scenarios.noisy(
                d.stream(),
                Scenarios.S2_CONFUSED_PAIRS,
                Scenarios.S2_SOURCE_SHARE,
                Scenarios.S2_CLEAN_SOURCES,
                seed);
        stream = n.stream();
        bad = n.bad();
        Set<String> badIds = bad;
        clean = stream.stream().filter(e -> !badIds.contains(e.id())).toList();
        attribute = "source";
        notes.put("badExamples", bad.size());
        notes.put("badShare", bad.size() / (double) stream.size());
      }
      case S3 -> {
        stream =
            Scenarios.minority(
                Scenarios.plain(d.stream(), attribute),
                attribute,
                GssVocab.MINORITY,
                Scenarios.S3_MINORITY_SHARE);
        String a = attribute;
        notes.put(
            "minorityShare",
            stream.stream().filter(e -> GssVocab.MINORITY.equals(e.groups().get(a))).count()
                / (double) stream.size());
      }
      case S5 -> {
        stream =
            Scenarios.longTail(d.stream(), d.classes(), Scenarios.S5_IMBALANCE_RATIO, attribute);
        notes.put("classCounts", classCounts(stream, d.classes()));
        // the oracle: the same file before its tail was cut (every class at its full supply), so
        // a budget read from it is balanced with no class short of examples: the ceiling of
        // any rebalancing of the tailed stream at this budget and model
        clean = Scenarios.plain(d.stream(), attribute);
      }
      case S5N -> {
        // the natural tail as it is: nothing cut, nothing added
        stream = Scenarios.withLabel(d.stream(), attribute);
        notes.put("classCounts", classCounts(stream, d.classes()));
      }
      case S6 -> {
        newClass = (int) (seed % d.classes());
        Scenarios.Drift dr = Scenarios.drift(d.stream(), attribute, newClass, Scenarios.S6_ARRIVAL);
        stream = dr.stream();
        notes.put("newClass", newClass);
        notes.put("firstPhase", dr.arrival());
        notes.put("secondPhase", stream.size() - dr.arrival());
      }
      default -> throw new IllegalArgumentException(s.name());
    }
    arrival = s == Scenario.S6 ? (Integer) notes.get("firstPhase") : stream.size();
    return new ScenarioData(
        s,
        d.name(),
        attribute,
        d.classes(),
        d.dimension(),
        stream,
        arrival,
        clean,
        d.groupAttribute(),
        validation,
        test,
        bad,
        newClass,
        notes);
  }

  private static List<Integer> classCounts(List<ScenarioData.Example> stream, int classes) {
    int[] c = new int[classes];
    stream.forEach(e -> c[e.label()]++);
    List<Integer> out = new ArrayList<>();
    for (int v : c) {
      out.add(v);
    }
    return out;
  }

  private static ScenarioTrainer.Labelled labelled(List<Dataset.Item> items) {
    float[][] x = new float[items.size()][];
    int[] y = new int[items.size()];
    String[] g = new String[items.size()];
    for (int i = 0; i < items.size(); i++) {
      x[i] = items.get(i).features();
      y[i] = items.get(i).label();
      g[i] = items.get(i).group();
    }
    return new ScenarioTrainer.Labelled(x, y, g);
  }

  private ScenarioTrainer.Setup setup(ScenarioData d, ScenarioTrainer.Kind kind) {
    // S4: RS2's round is 5 % of the pool, but never more than a fifth of the budget, so that a
    // run holds at least five rounds; elsewhere the data-limited trainer retrains every tenth
    int roundSize =
        d.scenario() == Scenario.S4
            ? Math.max(
                settings.batchSize(),
                (int)
                    Math.min(Scenarios.S4_ROUND_SHARE * d.stream().size(), settings.budget() / 5.0))
            : Math.max(settings.batchSize(), settings.budget() / 10);
    return new ScenarioTrainer.Setup(
        d.classes(),
        d.dimension(),
        d.groupAttribute(),
        d.testAttribute(),
        d.validation(),
        d.test(),
        d.bad(),
        d.newClass(),
        settings.learningRate(),
        settings.budget(),
        Math.max(settings.batchSize(), settings.budget() / settings.evalPoints()),
        settings.evalBatches(),
        roundSize,
        settings.passes(),
        settings.batchSize(),
        settings.learnability());
  }

  private List<ScenarioTrainer> runScenario(
      ScenarioData d, EmbeddedKafka kafka, RegistryServer registry, Path work) throws Exception {
    Scenario s = d.scenario();
    List<String> policies = policiesOf(s);
    List<ScenarioTrainer> all = new ArrayList<>();
    // baselines without Sieve first: they need no broker and show a scenario's shape early
    Features features = new Features(d.dimension());
    for (String policy : policies) {
      if (!LOCAL.contains(policy)) {
        continue;
      }
      if ("oracle".equals(policy) && d.clean() == null) {
        out.printf("[%s] no oracle: the scenario has no clean stream%n", s.name());
        continue;
      }
      for (String kindName : settings.trainers()) {
        ScenarioTrainer.Kind kind = kind(kindName, s);
        for (int seed = 0; seed < settings.seeds(); seed++) {
          ScenarioTrainer t =
              new ScenarioTrainer(
                  trainerId(s, policy, kind, seed), policy, kind, 1000L + seed, setup(d, kind));
          runLocal(t, d, features);
          all.add(t);
        }
      }
      out.printf("[%s] %s done without Sieve%n", s.name(), policy);
    }
    all.addAll(runSieve(d, policies, kafka, registry, work));
    return all;
  }

  static ScenarioTrainer.Kind kind(String name, Scenario s) {
    if ("online".equals(name)) {
      return ScenarioTrainer.Kind.ONLINE;
    }
    // the data-limited trainer of S4 is RS2's: passes over each round's fresh subset only
    return s == Scenario.S4 ? ScenarioTrainer.Kind.ROUNDS : ScenarioTrainer.Kind.CUMULATIVE;
  }

  static String trainerId(Scenario s, String policy, ScenarioTrainer.Kind kind, int seed) {
    return s.name().toLowerCase(java.util.Locale.ROOT)
        + "-"
        // a variant's ':' and '=' are not legal in the batch topic's name
        + policy.replaceAll("[^A-Za-z0-9._-]", ".")
        + "-"
        + kind.label()
        + "-s"
        + seed;
  }

  /**
   * A baseline without Sieve. {@code raw-uniform} reads the stream as it arrives, shuffled with the
   * trainer's seed within each phase (a user's shuffle buffer), and turns to the second phase the
   * moment it arrives (at half the budget); {@code oracle} does the same on the clean stream (S5:
   * the balanced file before its tail was cut); {@code static-subset} trains every round on one
   * fixed random subset of a round's size; {@code frozen-uniform} is RS2 with frozen cycles, as a
   * sampler over a snapshot of the pool runs it: each cycle is one shuffle of what was pooled when
   * the cycle began, so what arrives mid-cycle (S6's second phase, at half the budget) waits until
   * the cycle has served everything before it.
   */
  private void runLocal(ScenarioTrainer t, ScenarioData d, Features features) {
    LocalOrder local =
        localOrder(
            t.policy(), d, settings.budget(), setup(d, t.kind()).roundSize(), new Random(t.seed()));
    List<ScenarioData.Example> order = local.order();
    long arrivalAt = local.arrivalAt();
    int b = settings.batchSize();
    for (int i = 0; i < order.size() && !t.done(); i += b) {
      if (arrivalAt >= 0 && i >= arrivalAt) {
        t.markArrival();
      }
      int m = Math.min(b, order.size() - i);
      String[] ids = new String[m];
      float[][] x = new float[m][];
      int[] y = new int[m];
      List<Map<String, String>> groups = new ArrayList<>(m);
      for (int k = 0; k < m; k++) {
        ScenarioData.Example e = order.get(i + k);
        ids[k] = e.id();
        x[k] = features.of(e);
        y[k] = e.label();
        groups.add(e.groups());
      }
      t.trainLocal(ids, x, y, groups);
    }
  }

  /**
   * The order in which a baseline without Sieve reads the data.
   *
   * @param order the examples in reading order (may run past the budget; the trainer stops)
   * @param arrivalAt the index from which the second phase counts as arrived, or −1 without one
   */
  record LocalOrder(List<ScenarioData.Example> order, long arrivalAt) {}

  /** {@link LocalOrder} of a baseline without Sieve (see {@link #runLocal}). */
  static LocalOrder localOrder(
      String policy, ScenarioData d, int budget, int roundSize, Random rng) {
    List<ScenarioData.Example> order = new ArrayList<>();
    long arrivalAt = -1;
    switch (policy) {
      case "oracle" -> {
        order.addAll(d.clean());
        java.util.Collections.shuffle(order, rng);
      }
      case "frozen-uniform" -> {
        List<ScenarioData.Example> cycle = new ArrayList<>(d.firstPhase());
        java.util.Collections.shuffle(cycle, rng);
        order.addAll(cycle);
        if (!d.secondPhase().isEmpty()) {
          arrivalAt = Math.min(cycle.size(), budget / 2);
          // the next cycle: everything pooled by the time the first one ends
          List<ScenarioData.Example> next = new ArrayList<>(d.firstPhase());
          next.addAll(d.secondPhase());
          java.util.Collections.shuffle(next, rng);
          order.addAll(next);
        }
      }
      case "static-subset" -> {
        List<ScenarioData.Example> all = new ArrayList<>(d.stream());
        java.util.Collections.shuffle(all, rng);
        List<ScenarioData.Example> subset = all.subList(0, Math.min(roundSize, all.size()));
        while (order.size() < budget) {
          order.addAll(subset);
        }
      }
      default -> {
        List<ScenarioData.Example> first = new ArrayList<>(d.firstPhase());
        java.util.Collections.shuffle(first, rng);
        List<ScenarioData.Example> second = new ArrayList<>(d.secondPhase());
        java.util.Collections.shuffle(second, rng);
        if (second.isEmpty()) {
          order.addAll(first);
        } else {
          int before = Math.min(first.size(), budget / 2);
          order.addAll(first.subList(0, before));
          arrivalAt = before;
          order.addAll(second);
        }
      }
    }
    return new LocalOrder(order, arrivalAt);
  }

  /** Unit-norm features of streamed examples as Sieve computes them, cached by id. */
  static final class Features {
    private final HashingEmbedder embedder;
    private final Map<String, float[]> cache = new HashMap<>();

    Features(int dimension) {
      this.embedder = new HashingEmbedder(dimension);
    }

    float[] of(ScenarioData.Example e) {
      return cache.computeIfAbsent(
          e.id(),
          id -> {
            if (e.text() != null) {
              return embedder.embed(e.text());
            }
            float[] v = e.embedding().clone();
            Vectors.normalize(v);
            return v;
          });
    }
  }

  private SieveConfig config(
      ScenarioData d, EmbeddedKafka kafka, RegistryServer registry, Path work) {
    String app = "scenario-" + d.scenario().name().toLowerCase(java.util.Locale.ROOT);
    Map<String, Object> props = new LinkedHashMap<>();
    props.put(SieveConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    props.put(SieveConfig.SCHEMA_REGISTRY_URL_CONFIG, registry.url());
    props.put(SieveConfig.APPLICATION_ID_CONFIG, app);
    props.put(SieveConfig.STATE_DIR_CONFIG, work.resolve("state-" + app).toString());
    props.put(SieveConfig.EMBEDDING_DIMENSION_CONFIG, d.dimension());
    props.put(SieveConfig.TOPIC_EXAMPLES_CONFIG, app + ".examples");
    props.put(SieveConfig.TOPIC_TRAINERS_CONFIG, app + ".trainers");
    props.put(SieveConfig.TOPIC_FEEDBACK_CONFIG, app + ".feedback");
    props.put(SieveConfig.TOPIC_TRAINER_CONTROLS_CONFIG, app + ".trainer-controls");
    props.put(SieveConfig.TOPIC_CENTROIDS_CONFIG, app + ".centroids");
    props.put(SieveConfig.TOPIC_CLUSTER_STATS_CONFIG, app + ".cluster-stats");
    props.put(SieveConfig.TOPIC_MANIFESTS_CONFIG, app + ".manifests");
    props.put(SieveConfig.TOPIC_DEAD_LETTERS_CONFIG, app + ".dead-letters");
    props.put(SieveConfig.TOPIC_BATCHES_PREFIX_CONFIG, app + ".batches.");
    props.put(SieveConfig.CLUSTER_BOOTSTRAP_SIZE_CONFIG, 2000);
    props.put(SieveConfig.CLUSTER_K_INIT_CONFIG, 24);
    if (!"drop".equals(d.scenario().nearPolicy())) {
      // the pool is the stream: no free deduplication the raw-stream baseline lacks (exact
      // duplicates included: GSS respondents often share every answer)
      props.put(SieveConfig.DEDUP_NEAR_POLICY_CONFIG, d.scenario().nearPolicy());
      props.put(SieveConfig.DEDUP_ENABLED_CONFIG, false);
    }
    // the whole stream stays pooled: the benchmark compares selection, not eviction
    props.put(SieveConfig.POOL_CAPACITY_CONFIG, d.stream().size());
    // a configuration documented for a kind of feed (e.g. crawls), given with --config
    props.putAll(settings.sieveConfig());
    return new SieveConfig(props);
  }

  private List<ScenarioTrainer> runSieve(
      ScenarioData d,
      List<String> policies,
      EmbeddedKafka kafka,
      RegistryServer registry,
      Path work)
      throws Exception {
    Scenario s = d.scenario();
    List<String> viaSieve = policies.stream().filter(p -> !LOCAL.contains(p)).toList();
    if (viaSieve.isEmpty()) {
      return List.of();
    }
    String bootstrap = kafka.bootstrapServers();
    try (SieveService service = new SieveService(config(d, kafka, registry, work)).start()) {
      if (!service.awaitRunning(Duration.ofSeconds(120))) {
        throw new IllegalStateException("Sieve did not reach RUNNING within 120 s");
      }
      Topics topics = service.topics();
      Properties p = producerProps(bootstrap);
      try (KafkaProducer<String, byte[]> producer =
          new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
        long t0 = System.nanoTime();
        send(d.firstPhase(), service, producer);
        awaitPooled(d, service, d.arrival());
        SieveMetrics m = service.metrics();
        out.printf(
            "[%s] pooled %,d of %,d sent (%,d duplicates and %,d near duplicates dropped) in %.1f"
                + " s%n",
            s.name(),
            m.pooledCount(),
            d.arrival(),
            m.duplicates(),
            m.nearDuplicates(),
            (System.nanoTime() - t0) / 1e9);
        d.notes().put("pooledBeforeTraining", m.pooledCount());
        d.notes().put("duplicatesDropped", m.duplicates());
        d.notes().put("nearDuplicatesDropped", m.nearDuplicates());

        Map<String, ScenarioTrainer> trainers = new LinkedHashMap<>();
        List<String> batchTopics = new ArrayList<>();
        TrainerAdmin admin = new TrainerAdmin(service.config(), topics);
        for (String policy : viaSieve) {
          for (String kindName : settings.trainers()) {
            ScenarioTrainer.Kind kind = kind(kindName, s);
            for (int seed = 0; seed < settings.seeds(); seed++) {
              String id = trainerId(s, policy, kind, seed);
              ScenarioTrainer t =
                  new ScenarioTrainer(id, policy, kind, 1000L + seed, setup(d, kind));
              trainers.put(id, t);
              admin.put(spec(d, policy, id, 1000L + seed));
              batchTopics.add(topics.batchTopic(id));
            }
          }
        }
        out.printf(
            "[%s] %d trainers declared (%s × %s × %d seeds), budget %,d examples each%n",
            s.name(),
            trainers.size(),
            String.join(", ", viaSieve),
            String.join(", ", settings.trainers()),
            settings.seeds(),
            settings.budget());
        consume(d, service, producer, trainers, batchTopics, bootstrap);
        for (ScenarioTrainer t : trainers.values()) {
          admin.delete(t.trainerId());
        }
        return new ArrayList<>(trainers.values());
      }
    }
  }

  /** The trainer's spec: the policy (or its group-target form), the scenario's attribute. */
  TrainerSpec spec(ScenarioData d, String policy, String id, long seed) {
    Map<String, String> params = new LinkedHashMap<>(settings.policyParams());
    for (String key : ATTRIBUTE_KEYS) {
      params.putIfAbsent(key, d.groupAttribute());
    }
    String name = policy;
    if (Policies.byName(policy) == null
        && (ALIASES.contains(policy) || !Double.isNaN(fixedShare(policy)))) {
      name = "uniform";
      params.put("group.targets", targets(d, policy));
      d.notes().put("alias " + policy, "uniform with group.targets=" + params.get("group.targets"));
    }
    Preset preset = Policies.byName(policy) != null ? null : variant(policy);
    if (preset == null && Policies.byName(policy) == null) {
      preset = PRESETS.get(policy);
    }
    if (preset != null) {
      name = preset.policy();
      params.putAll(preset.params());
      d.notes().put("preset " + policy, name + " with " + new TreeMap<>(preset.params()));
    }
    // a spec naming parameters its policy does not know is refused: keep this policy's own
    params.keySet().removeAll(io.sieve.plan.TrainerSpecs.paramNames(name, params).unknown());
    return TrainerSpec.newBuilder()
        .setTrainerId(id)
        .setPolicy(name)
        .setBatchSize(settings.batchSize())
        .setWindow(2)
        .setSeed(seed)
        .setParams(params)
        .build();
  }

  /**
   * Group targets of an alias: equal shares over the values of the scenario's attribute
   * (stratified) or of the label (label-balanced), or label shares ∝ √supply (sqrt-balanced).
   */
  static String targets(ScenarioData d, String alias) {
    String attribute =
        "stratified".equals(alias) || !Double.isNaN(fixedShare(alias))
            ? d.groupAttribute()
            : "label";
    Map<String, Long> supply = new TreeMap<>();
    for (ScenarioData.Example e : d.stream()) {
      String v =
          "label".equals(attribute) ? Integer.toString(e.label()) : e.groups().get(attribute);
      if (v != null) {
        supply.merge(v, 1L, Long::sum);
      }
    }
    Map<String, Double> weight = new TreeMap<>();
    double share = fixedShare(alias);
    if (!Double.isNaN(share)) {
      String scarcest =
          supply.entrySet().stream().min(Map.Entry.comparingByValue()).orElseThrow().getKey();
      long others =
          supply.values().stream().mapToLong(Long::longValue).sum() - supply.get(scarcest);
      supply.forEach(
          (v, n) -> weight.put(v, v.equals(scarcest) ? share : (1 - share) * n / others));
    } else {
      supply.forEach((v, n) -> weight.put(v, "sqrt-balanced".equals(alias) ? Math.sqrt(n) : 1.0));
    }
    double total = weight.values().stream().mapToDouble(Double::doubleValue).sum();
    List<String> parts = new ArrayList<>();
    // rounded down, so that the written shares never sum to more than 1
    weight.forEach(
        (v, w) ->
            parts.add(
                attribute
                    + "="
                    + v
                    + ":"
                    + String.format(Locale.ROOT, "%.6f", Math.floor(w / total * 1e6) / 1e6)));
    return String.join(",", parts);
  }

  private static Properties producerProps(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 10);
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, 262_144);
    return p;
  }

  private void send(
      List<ScenarioData.Example> examples,
      SieveService service,
      KafkaProducer<String, byte[]> producer) {
    String topic = service.topics().examples().name();
    for (ScenarioData.Example e : examples) {
      TrainingExample.Builder b =
          TrainingExample.newBuilder()
              .setId(e.id())
              .setLabel(Integer.toString(e.label()))
              .setGroups(e.groups());
      if (e.text() != null) {
        b.setText(e.text());
      } else {
        List<Float> emb = new ArrayList<>(e.embedding().length);
        for (float f : e.embedding()) {
          emb.add(f);
        }
        b.setEmbedding(emb);
      }
      producer.send(
          new ProducerRecord<>(topic, e.id(), service.serdes().serialize(topic, b.build())));
    }
    producer.flush();
  }

  /** Waits until {@code sent} examples are accounted for: pooled, dropped or dead-lettered. */
  private void awaitPooled(ScenarioData d, SieveService service, long sent) throws Exception {
    SieveMetrics m = service.metrics();
    long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
    while (accounted(m) < sent) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "only " + m.pooledCount() + " of " + sent + " pooled after 10 min");
      }
      Thread.sleep(200);
    }
    // the planner reads pool sizes from the cluster statistics, published every interval
    Thread.sleep(4 * SieveConfig.STATS_INTERVAL_DEFAULT + 1000);
  }

  private static long accounted(SieveMetrics m) {
    long dead = m.deadLettersByReason().values().stream().mapToLong(Long::longValue).sum();
    return m.pooledCount() + m.duplicates() + m.nearDuplicates() + dead;
  }

  private void consume(
      ScenarioData d,
      SieveService service,
      KafkaProducer<String, byte[]> producer,
      Map<String, ScenarioTrainer> trainers,
      List<String> batchTopics,
      String bootstrap)
      throws InterruptedException {
    Scenario s = d.scenario();
    Properties c = new Properties();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    c.put(ConsumerConfig.GROUP_ID_CONFIG, "scenario-trainers-" + s.name());
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 * 1024 * 1024);
    c.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 * 1024 * 1024);
    String feedbackTopic = service.topics().feedback().name();
    boolean secondSent = d.secondPhase().isEmpty();
    boolean secondPooled = secondSent;
    long started = System.nanoTime();
    long lastProgress = System.nanoTime();
    long nextReport = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    SieveMetrics m = service.metrics();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
      consumer.subscribe(batchTopics);
      List<ConsumerRecord<String, byte[]>> held = new ArrayList<>();
      while (trainers.values().stream().anyMatch(t -> !t.done())) {
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>(held);
        held.clear();
        consumer.poll(Duration.ofMillis(200)).forEach(records::add);
        if (secondSent && !secondPooled) {
          // S6: training pauses while the new part is ingested, so that it arrives at the same
          // point of every trainer's budget however long ingestion takes on a busy machine
          held.addAll(records);
          records.clear();
          lastProgress = System.nanoTime();
        }
        for (ConsumerRecord<String, byte[]> r : records) {
          TrainingBatch batch =
              service.serdes().deserialize(r.topic(), r.value(), TrainingBatch.class);
          ScenarioTrainer t = trainers.get(batch.getTrainerId());
          if (t == null || t.done()) {
            continue; // past the budget: not acknowledged, so no more batches are planned
          }
          if (!secondSent && t.consumed() >= settings.budget() / 2) {
            // S6: a trainer at half its budget waits for the slowest, so that the new part
            // arrives at the same point of every trainer's budget (as for the local baselines)
            held.add(r);
            continue;
          }
          TrainerFeedback feedback = t.train(batch);
          producer.send(
              new ProducerRecord<>(
                  feedbackTopic,
                  t.trainerId(),
                  service.serdes().serialize(feedbackTopic, feedback)));
          lastProgress = System.nanoTime();
        }
        if (!secondSent
            && trainers.values().stream()
                .allMatch(t -> t.done() || t.consumed() >= settings.budget() / 2)) {
          // S6: the second phase arrives once every trainer has used half its budget
          send(d.secondPhase(), service, producer);
          secondSent = true;
          out.printf("[%s] second phase sent (%,d examples)%n", s.name(), d.secondPhase().size());
        }
        if (secondSent && !secondPooled && accounted(m) >= d.stream().size()) {
          // the planner sees the new part once the cluster statistics are next published
          Thread.sleep(4 * SieveConfig.STATS_INTERVAL_DEFAULT + 1000);
          secondPooled = true;
          trainers.values().forEach(ScenarioTrainer::markArrival);
          out.printf("[%s] second phase pooled%n", s.name());
        }
        if (System.nanoTime() >= nextReport) {
          long consumed = trainers.values().stream().mapToLong(ScenarioTrainer::consumed).sum();
          out.printf(
              "[%s] %5.0fs  %,d of %,d examples consumed across trainers%n",
              s.name(),
              (System.nanoTime() - started) / 1e9,
              consumed,
              (long) settings.budget() * trainers.size());
          nextReport += Duration.ofSeconds(15).toNanos();
        }
        if (System.nanoTime() - lastProgress > settings.stallTimeout().toNanos()) {
          List<String> stuck =
              trainers.values().stream()
                  .filter(t -> !t.done())
                  .map(t -> t.trainerId() + " (" + t.consumed() + ")")
                  .toList();
          out.printf(
              "[%s] no batch for %s; stopping with unfinished trainers: %s%n",
              s.name(), settings.stallTimeout(), stuck);
          unfinished.addAll(stuck);
          break;
        }
      }
      producer.flush();
    }
  }

  private Map<String, Object> settingsMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("scenarios", settings.scenarios());
    m.put("policies", settings.policies() == null ? "per scenario" : settings.policies());
    m.put("trainers", settings.trainers());
    m.put("seeds", settings.seeds());
    m.put("budget", settings.budget());
    m.put("batchSize", settings.batchSize());
    m.put("streamSize", settings.streamSize());
    m.put("testSize", settings.testSize());
    m.put("validationSize", settings.validationSize());
    m.put("evalPoints", settings.evalPoints());
    m.put("evalBatches", settings.evalBatches());
    m.put("passes", settings.passes());
    m.put("learnability", settings.learnability());
    m.put("validationMix", settings.validationMix());
    m.put("learningRate", settings.learningRate());
    m.put("targetFraction", settings.targetFraction());
    m.put("dataSeed", settings.dataSeed());
    m.put("window", 2);
    m.put("policyParams", settings.policyParams());
    m.put("sieveConfig", settings.sieveConfig());
    m.put(
        "trainer",
        "softmax regression, Adam; online: one step per batch; cumulative: every budget/10"
            + " examples, passes over everything selected so far; rounds (S4): passes over the"
            + " round's 5 % of the pool only");
    m.put("cores", Runtime.getRuntime().availableProcessors());
    return m;
  }

  private void write(
      Map<String, Object> report,
      List<ScenarioData> data,
      Map<String, Object> perScenario,
      Map<String, Map<String, Plots.Curve>> curves)
      throws IOException {
    if (settings.reportDir() == null) {
      return;
    }
    Files.createDirectories(settings.reportDir());
    StringBuilder md = new StringBuilder();
    for (ScenarioData d : data) {
      @SuppressWarnings("unchecked")
      Map<String, Object> r = (Map<String, Object>) perScenario.get(d.scenario().name());
      if (r == null) {
        continue;
      }
      md.append(ScenarioReport.markdown(d, r, settings)).append('\n');
    }
    Files.writeString(settings.reportDir().resolve("quality.md"), md.toString());
    new ObjectMapper()
        .enable(SerializationFeature.INDENT_OUTPUT)
        .writeValue(settings.reportDir().resolve("quality.json").toFile(), report);
    for (Map.Entry<String, Map<String, Plots.Curve>> e : curves.entrySet()) {
      Plots.accuracy(
          settings.reportDir().resolve("quality-" + e.getKey() + ".png"),
          String.format(
              "%s: primary metric vs examples consumed (%d seeds)", e.getKey(), settings.seeds()),
          "test " + Scenario.valueOf(e.getKey().substring(0, 2)).primary.axis,
          e.getValue());
    }
    out.printf("Report written to %s%n", settings.reportDir().toAbsolutePath());
  }
}
