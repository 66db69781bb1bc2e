package io.sieve.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.sieve.config.SieveConfig;
import io.sieve.it.SieveContainersIT;
import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The container and Kubernetes files agree with the service: every configured key is one Sieve
 * knows, the ports are the REST port, the topic names are the defaults, and state lives where
 * {@code state.dir} says.
 */
class DeploymentManifestsTest {

  private static final YAMLMapper YAML = new YAMLMapper();
  private static final Path ROOT =
      Path.of(System.getProperty("sieve.repo.root", "..")).toAbsolutePath().normalize();

  /**
   * Keys of the REST API (another change adds them to SieveConfig); accepted here until then, and
   * checked against {@link SieveConfig#configDef()} like the others once it defines them.
   */
  private static final Set<String> REST_KEYS =
      Set.of("rest.enabled", "rest.host", "rest.port", "rest.token");

  private static final String REST_PORT_CONFIG = "rest.port";
  private static final int REST_PORT_DEFAULT = 8080;

  /** How long {@code SieveService.close} lets Kafka Streams take to close. */
  private static final int STREAMS_CLOSE_SECONDS = 60;

  /** Path of the properties in the image's default command. */
  private static final String IMAGE_CONFIG_PATH = "/etc/sieve/sieve.properties";

  private static final Map<String, String> DEFAULT_TOPICS =
      Map.of(
          SieveConfig.TOPIC_EXAMPLES_CONFIG, SieveConfig.TOPIC_EXAMPLES_DEFAULT,
          SieveConfig.TOPIC_TRAINERS_CONFIG, SieveConfig.TOPIC_TRAINERS_DEFAULT,
          SieveConfig.TOPIC_FEEDBACK_CONFIG, SieveConfig.TOPIC_FEEDBACK_DEFAULT,
          SieveConfig.TOPIC_TRAINER_CONTROLS_CONFIG, SieveConfig.TOPIC_TRAINER_CONTROLS_DEFAULT,
          SieveConfig.TOPIC_DEAD_LETTERS_CONFIG, SieveConfig.TOPIC_DEAD_LETTERS_DEFAULT,
          SieveConfig.TOPIC_CENTROIDS_CONFIG, SieveConfig.TOPIC_CENTROIDS_DEFAULT,
          SieveConfig.TOPIC_CLUSTER_STATS_CONFIG, SieveConfig.TOPIC_CLUSTER_STATS_DEFAULT,
          SieveConfig.TOPIC_BATCHES_PREFIX_CONFIG, SieveConfig.TOPIC_BATCHES_PREFIX_DEFAULT);

  // ---- docker-compose.yml --------------------------------------------------------------------

  @Test
  void composeConfigShouldUseOnlyKnownKeysAndDefaultTopicNames() throws IOException {
    // Given the properties Sieve gets in docker-compose.yml
    Properties props = composeProperties();
    // Then every key is Sieve's, the topics have their default names, and the config is valid
    assertKnownKeys(props);
    assertDefaultTopics(props);
    assertThat(new SieveConfig(props)).isNotNull();
  }

  @Test
  void composeShouldRunTheImagesTheContainerTestsUse() throws IOException {
    JsonNode services = compose().path("services");
    assertThat(services.path("kafka").path("image").asText())
        .isEqualTo(SieveContainersIT.KAFKA_IMAGE);
    assertThat(services.path("registry").path("image").asText())
        .isEqualTo(SieveContainersIT.REGISTRY_IMAGE);
    assertThat(services.path("sieve").path("build").asText()).isEqualTo(".");
  }

  @Test
  void composeShouldPointSieveAtItsKafkaAndRegistryServices() throws IOException {
    // Given compose's properties and its Kafka listeners
    Properties props = composeProperties();
    JsonNode kafka = compose().path("services").path("kafka").path("environment");
    // Then bootstrap.servers is the broker's internal listener
    String advertised = kafka.path("KAFKA_ADVERTISED_LISTENERS").asText();
    assertThat(advertised).contains("//" + props.getProperty(SieveConfig.BOOTSTRAP_SERVERS_CONFIG));
    // and the registry URL names the registry service, its port and the Confluent API path
    URI registry = URI.create(props.getProperty(SieveConfig.SCHEMA_REGISTRY_URL_CONFIG));
    assertThat(registry.getHost()).isEqualTo("registry");
    assertThat(registry.getPort()).isEqualTo(SieveContainersIT.REGISTRY_PORT);
    assertThat(registry.getPath()).isEqualTo(SieveContainersIT.CCOMPAT_PATH);
  }

  @Test
  void composeShouldMountConfigAndStateWhereTheImageExpectsThem() throws IOException {
    Properties props = composeProperties();
    JsonNode sieve = compose().path("services").path("sieve");
    // the properties at the path of the image's default command
    assertThat(sieve.path("configs").get(0).path("target").asText()).isEqualTo(IMAGE_CONFIG_PATH);
    assertThat(dockerfileJsonArray("CMD")).containsExactly("run", "--config", IMAGE_CONFIG_PATH);
    // and the state volume at state.dir, which the image declares a volume
    String stateDir = props.getProperty(SieveConfig.STATE_DIR_CONFIG);
    assertThat(texts(sieve.path("volumes"))).contains("sieve-state:" + stateDir);
    assertThat(dockerfileJsonArray("VOLUME")).containsExactly(stateDir);
  }

  @Test
  void composePortsShouldBeTheRestPortAndPublishedOnLoopbackOnly() throws IOException {
    int restPort = restPort(composeProperties());
    JsonNode services = compose().path("services");
    // Sieve's published port is its REST port, which Prometheus scrapes and the image exposes
    assertThat(texts(services.path("sieve").path("ports")))
        .containsExactly("127.0.0.1:" + restPort + ":" + restPort);
    assertThat(dockerfileWords("EXPOSE")).containsExactly(Integer.toString(restPort));
    JsonNode prometheus = YAML.readTree(ROOT.resolve("deploy/prometheus/prometheus.yml").toFile());
    assertThat(
            texts(
                prometheus
                    .path("scrape_configs")
                    .get(0)
                    .path("static_configs")
                    .get(0)
                    .path("targets")))
        .containsExactly("sieve:" + restPort);
    // and every published port of every service is bound to 127.0.0.1
    services
        .properties()
        .forEach(
            s ->
                assertThat(texts(s.getValue().path("ports")))
                    .allSatisfy(p -> assertThat(p).startsWith("127.0.0.1:")));
  }

  @Test
  void composeMonitoringProfileShouldProvisionTheDashboardFromDeployGrafana() throws IOException {
    JsonNode services = compose().path("services");
    assertThat(texts(services.path("prometheus").path("profiles"))).containsExactly("monitoring");
    assertThat(texts(services.path("grafana").path("profiles"))).containsExactly("monitoring");
    List<String> volumes = texts(services.path("grafana").path("volumes"));
    assertThat(volumes)
        .contains("./deploy/grafana/provisioning:/etc/grafana/provisioning:ro")
        .anySatisfy(
            v ->
                assertThat(v)
                    .startsWith(
                        "./deploy/grafana/sieve-dashboard.json:/var/lib/grafana/dashboards/"));
    JsonNode provider =
        YAML.readTree(ROOT.resolve("deploy/grafana/provisioning/dashboards/sieve.yml").toFile());
    assertThat(provider.path("providers").get(0).path("options").path("path").asText())
        .isEqualTo("/var/lib/grafana/dashboards");
  }

  @Test
  void imageShouldRunAsNonRootUser() throws IOException {
    List<String> user = dockerfileWords("USER");
    assertThat(user).hasSize(1);
    assertThat(user.get(0)).doesNotStartWith("root").doesNotStartWith("0:").isNotEqualTo("0");
    assertThat(dockerfileJsonArray("ENTRYPOINT"))
        .startsWith("java")
        .endsWith("-jar", "/app/sieve.jar");
  }

  // ---- Kubernetes ----------------------------------------------------------------------------

  @Test
  void configMapShouldUseOnlyKnownKeysDefaultTopicsAndAStandby() throws IOException {
    // Given the properties of the ConfigMap
    Properties props = configMapProperties();
    // Then every key is Sieve's, the topics have their default names, the config is valid
    assertKnownKeys(props);
    assertDefaultTopics(props);
    SieveConfig config = new SieveConfig(props);
    // and each store has a standby on another pod
    assertThat(config.getInt(SieveConfig.STANDBY_REPLICAS_CONFIG)).isGreaterThanOrEqualTo(1);
    assertThat(statefulSet().path("spec").path("replicas").asInt())
        .isGreaterThan(config.getInt(SieveConfig.STANDBY_REPLICAS_CONFIG));
  }

  @Test
  void statefulSetShouldKeepStateOnAVolumeClaimAtStateDir() throws IOException {
    String stateDir = configMapProperties().getProperty(SieveConfig.STATE_DIR_CONFIG);
    JsonNode spec = statefulSet().path("spec");
    String claim = spec.path("volumeClaimTemplates").get(0).path("metadata").path("name").asText();
    JsonNode mount = findByName(container().path("volumeMounts"), claim);
    assertThat(mount).as("a mount of the claim %s", claim).isNotNull();
    assertThat(mount.path("mountPath").asText()).isEqualTo(stateDir);
  }

  @Test
  void probesAndServiceShouldUseTheRestPort() throws IOException {
    int restPort = restPort(configMapProperties());
    // the probes have a listener of their own, so that API clients cannot starve them
    int probePort =
        Integer.parseInt(
            configMapProperties().getProperty(SieveConfig.REST_PROBE_PORT_CONFIG).trim());
    JsonNode c = container();
    assertThat(probePort).isNotEqualTo(restPort).isPositive();
    assertThat(c.path("readinessProbe").path("httpGet").path("path").asText()).isEqualTo("/ready");
    assertThat(c.path("readinessProbe").path("httpGet").path("port").asInt()).isEqualTo(probePort);
    assertThat(c.path("livenessProbe").path("httpGet").path("path").asText()).isEqualTo("/health");
    assertThat(c.path("livenessProbe").path("httpGet").path("port").asInt()).isEqualTo(probePort);
    assertThat(findByName(c.path("ports"), "probes").path("containerPort").asInt())
        .isEqualTo(probePort);
    assertThat(findByName(c.path("ports"), "http").path("containerPort").asInt())
        .isEqualTo(restPort);
    JsonNode service = k8s("service.yaml");
    assertThat(service.path("spec").path("clusterIP").asText()).isEqualTo("None");
    assertThat(service.path("spec").path("ports").get(0).path("port").asInt()).isEqualTo(restPort);
    assertThat(service.path("spec").path("ports").get(0).path("targetPort").asText())
        .isEqualTo("http");
  }

  @Test
  void eachPodShouldAdvertiseItsHeadlessServiceAddressAtTheRestPort() throws IOException {
    // Given the init container that writes each pod's properties
    int restPort = restPort(configMapProperties());
    JsonNode init =
        statefulSet().path("spec").path("template").path("spec").path("initContainers").get(0);
    String script = texts(init.path("command")).get(2);
    // Then it adds streams.application.server at the pod's DNS name under the headless Service
    String headless = k8s("service.yaml").path("metadata").path("name").asText();
    assertThat(statefulSet().path("spec").path("serviceName").asText()).isEqualTo(headless);
    assertThat(script)
        .contains("streams.application.server=${POD_NAME}." + headless + ".")
        .contains(":" + restPort + "\"");
    // and the main container reads the file it writes
    Matcher target = Pattern.compile(">> (\\S+)").matcher(script);
    assertThat(target.find()).isTrue();
    assertThat(texts(container().path("args"))).containsExactly("run", "--config", target.group(1));
  }

  @Test
  void shutdownShouldLeaveStreamsTimeToCloseCleanly() throws IOException {
    JsonNode podSpec = statefulSet().path("spec").path("template").path("spec");
    List<String> preStop =
        texts(container().path("lifecycle").path("preStop").path("exec").path("command"));
    assertThat(preStop).hasSize(2).first().isEqualTo("sleep");
    int preStopSeconds = Integer.parseInt(preStop.get(1));
    assertThat(podSpec.path("terminationGracePeriodSeconds").asInt())
        .isGreaterThan(preStopSeconds + STREAMS_CLOSE_SECONDS);
  }

  @Test
  void serviceAndDisruptionBudgetShouldSelectThePods() throws IOException {
    JsonNode labels = statefulSet().path("spec").path("template").path("metadata").path("labels");
    JsonNode pdb = k8s("pdb.yaml");
    assertThat(pdb.path("kind").asText()).isEqualTo("PodDisruptionBudget");
    assertThat(pdb.path("spec").path("maxUnavailable").asInt()).isEqualTo(1);
    assertSelects(pdb.path("spec").path("selector").path("matchLabels"), labels);
    assertSelects(k8s("service.yaml").path("spec").path("selector"), labels);
    assertSelects(statefulSet().path("spec").path("selector").path("matchLabels"), labels);
    assertThat(texts(k8s("kustomization.yaml").path("resources")))
        .containsExactlyInAnyOrder(
            "configmap.yaml", "service.yaml", "statefulset.yaml", "pdb.yaml");
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static void assertKnownKeys(Properties props) {
    Set<String> known = new HashSet<>(SieveConfig.configDef().names());
    known.addAll(REST_KEYS);
    assertThat(props.stringPropertyNames())
        .allSatisfy(
            key ->
                assertThat(known.contains(key) || isPassThrough(key))
                    .as("%s is a key of SieveConfig or a pass-through key", key)
                    .isTrue());
  }

  private static boolean isPassThrough(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    return k.startsWith(SieveConfig.STREAMS_PREFIX)
        || k.equals("security.protocol")
        || k.startsWith("sasl.")
        || k.startsWith("ssl.");
  }

  private static void assertDefaultTopics(Properties props) {
    DEFAULT_TOPICS.forEach(
        (key, name) -> assertThat(props.getProperty(key, name)).as(key).isEqualTo(name));
  }

  private static int restPort(Properties props) {
    String port = props.getProperty(REST_PORT_CONFIG);
    if (port != null) {
      return Integer.parseInt(port.trim());
    }
    if (SieveConfig.configDef().names().contains(REST_PORT_CONFIG)) {
      return ((Number) SieveConfig.configDef().defaultValues().get(REST_PORT_CONFIG)).intValue();
    }
    return REST_PORT_DEFAULT;
  }

  private static void assertSelects(JsonNode selector, JsonNode labels) {
    assertThat(selector.size()).isPositive();
    selector
        .properties()
        .forEach(
            e ->
                assertThat(labels.path(e.getKey()).asText())
                    .as(e.getKey())
                    .isEqualTo(e.getValue().asText()));
  }

  private static JsonNode compose() throws IOException {
    return YAML.readTree(ROOT.resolve("docker-compose.yml").toFile());
  }

  private static Properties composeProperties() throws IOException {
    JsonNode config = compose().path("configs").path("sieve-properties");
    Path file = ROOT.resolve(config.path("file").asText()).normalize();
    Properties p = new Properties();
    try (var in = Files.newBufferedReader(file)) {
      p.load(in);
    }
    return p;
  }

  private static JsonNode k8s(String file) throws IOException {
    return YAML.readTree(ROOT.resolve("deploy").resolve(file).toFile());
  }

  private static Properties configMapProperties() throws IOException {
    Properties p = new Properties();
    p.load(new StringReader(k8s("configmap.yaml").path("data").path("sieve.properties").asText()));
    return p;
  }

  private static JsonNode statefulSet() throws IOException {
    JsonNode s = k8s("statefulset.yaml");
    assertThat(s.path("kind").asText()).isEqualTo("StatefulSet");
    return s;
  }

  private static JsonNode container() throws IOException {
    return findByName(
        statefulSet().path("spec").path("template").path("spec").path("containers"), "sieve");
  }

  private static JsonNode findByName(JsonNode array, String name) {
    for (JsonNode n : array) {
      if (name.equals(n.path("name").asText())) {
        return n;
      }
    }
    return null;
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  /** The last instruction of that name in the runtime stage of the Dockerfile, as words. */
  private static List<String> dockerfileWords(String instruction) throws IOException {
    String line = dockerfileInstruction(instruction);
    return List.of(line.trim().split("\\s+"));
  }

  /** The JSON-array (exec form) argument of the last instruction of that name. */
  private static List<String> dockerfileJsonArray(String instruction) throws IOException {
    return texts(YAML.readTree(dockerfileInstruction(instruction)));
  }

  private static String dockerfileInstruction(String instruction) throws IOException {
    String found = null;
    for (String line : Files.readAllLines(ROOT.resolve("Dockerfile"))) {
      if (line.startsWith(instruction + " ")) {
        found = line.substring(instruction.length() + 1);
      }
    }
    assertThat(found).as("%s in the Dockerfile", instruction).isNotNull();
    return found;
  }
}
