package io.sieve.it;

import io.sieve.embedded.EmbeddedKafka;
import io.sieve.embedded.RegistryServer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sieve end to end on a real broker (in-process KRaft on 127.0.0.1) and a real schema registry
 * (Apicurio, child process): examples in, trainer batches out, dead letters, restart. The scenarios
 * are in {@link SieveScenarios}; {@link SieveContainersIT} runs them on containers.
 */
class SieveIT {

  static EmbeddedKafka kafka;
  static RegistryServer registry;
  static SieveScenarios scenarios;

  @TempDir Path temp;

  @BeforeAll
  static void startStack(@TempDir Path dir) throws Exception {
    kafka = EmbeddedKafka.start(null, Map.of());
    registry = RegistryServer.start(RegistryServer.locate(), dir.resolve("registry.log"));
    scenarios = new SieveScenarios(new SieveStack(kafka.bootstrapServers(), registry.url()));
  }

  @AfterAll
  static void stopStack() {
    if (registry != null) {
      registry.close();
    }
    if (kafka != null) {
      kafka.close();
    }
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
