package io.sieve.it;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * The scenarios of {@link SieveIT} on the images of {@code docker-compose.yml}: Kafka from the
 * {@code apache/kafka} KRaft image and the Apicurio registry through its Confluent-compatible API.
 * The topology runs in this JVM against the containers' published ports. Skipped where there is no
 * Docker.
 */
@Testcontainers(disabledWithoutDocker = true)
public class SieveContainersIT {

  /** The images of docker-compose.yml; {@code DeploymentManifestsTest} checks they agree. */
  public static final String KAFKA_IMAGE = "apache/kafka:4.4.0";

  public static final String REGISTRY_IMAGE = "apicurio/apicurio-registry-mem:2.4.2.Final";
  public static final int REGISTRY_PORT = 8080;
  public static final String CCOMPAT_PATH = "/apis/ccompat/v7";

  @Container static final KafkaContainer KAFKA = new KafkaContainer(KAFKA_IMAGE);

  @Container
  static final GenericContainer<?> REGISTRY =
      new GenericContainer<>(DockerImageName.parse(REGISTRY_IMAGE))
          .withExposedPorts(REGISTRY_PORT)
          .waitingFor(
              Wait.forHttp(CCOMPAT_PATH + "/subjects")
                  .forStatusCode(200)
                  .withStartupTimeout(Duration.ofMinutes(3)));

  static SieveScenarios scenarios;

  @TempDir Path temp;

  @BeforeAll
  static void connect() {
    String registryUrl =
        "http://" + REGISTRY.getHost() + ":" + REGISTRY.getMappedPort(REGISTRY_PORT) + CCOMPAT_PATH;
    scenarios = new SieveScenarios(new SieveStack(KAFKA.getBootstrapServers(), registryUrl));
  }

  @Test
  void shouldServeUniformBatchesInWireFormatWithoutRepeatsAndDeadLetterBadInput() throws Exception {
    scenarios.uniformBatchesInWireFormatWithoutRepeatsAndDeadLetters(temp);
  }

  @Test
  void shouldBalanceClusterBalancedBatchesWithinOne() throws Exception {
    scenarios.clusterBalancedBatchesWithinOne(temp);
  }

  @Test
  void shouldLoseNothingAcrossCloseAndRestartOnSameStateDirectory() throws Exception {
    scenarios.nothingLostAcrossCloseAndRestartOnSameStateDirectory(temp);
  }
}
