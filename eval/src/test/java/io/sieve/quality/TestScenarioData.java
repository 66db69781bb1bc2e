package io.sieve.quality;

import java.util.HashMap;
import java.util.List;
import java.util.Set;

/** Scenario data for tests: attribute {@code g} on the stream and off it, no test set, no bad. */
final class TestScenarioData {

  private TestScenarioData() {}

  static ScenarioData of(
      Scenario scenario,
      int classes,
      int dimension,
      List<ScenarioData.Example> stream,
      int arrival,
      List<ScenarioData.Example> clean,
      int newClass) {
    return new ScenarioData(
        scenario,
        "test",
        "g",
        classes,
        dimension,
        stream,
        arrival,
        clean,
        "g",
        null,
        null,
        Set.of(),
        newClass,
        new HashMap<>());
  }
}
