package io.sieve.it;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sieve end to end on a real broker (in-process KRaft on 127.0.0.1) and a real schema registry
 * (Apicurio, child process): examples in, trainer batches out, dead letters, restart. The scenarios
 * are in {@link SieveScenarios}; {@link SieveContainersIT} runs them on containers.
 */
class SieveIT {

  @RegisterExtension static final PerClassStack STACK = new PerClassStack();
  static SieveScenarios scenarios;

  @TempDir Path temp;

  @BeforeAll
  static void scenariosOnTheStack() {
    scenarios = new SieveScenarios(STACK.addresses());
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

  @Test
  void shouldWriteBatchesOfLongTextsWithinTheLimitAndKeepThemComing() throws Exception {
    scenarios.longTextsTrimmedToFitTheBatchLimit(temp);
  }
}
