package io.sieve.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.config.SieveConfig;
import io.sieve.config.Topics;
import io.sieve.registry.InMemorySchemaRegistry;
import io.sieve.serde.AvroSerdes;
import io.sieve.stream.SieveMetrics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Pins the shape of the topology: node names, stores and topics. Every name there ends up in a
 * changelog, repartition topic or state directory, so a change must be deliberate. To accept a
 * change, run this test with {@code -Dsieve.golden.update=true} and commit the rewritten file.
 */
class TopologyGoldenTest {

  private static final Path GOLDEN = Path.of("src/test/resources/topology.txt");
  private static final String UPDATE = "sieve.golden.update";

  /** The topology with the default settings. */
  private static String describe() {
    return describe(null);
  }

  /** The topology with {@code dedup.scope} set, unless null. */
  private static String describe(String dedupScope) {
    Map<String, Object> props = new HashMap<>();
    props.put(SieveConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    props.put(SieveConfig.SCHEMA_REGISTRY_URL_CONFIG, "http://unused");
    if (dedupScope != null) {
      props.put(SieveConfig.DEDUP_SCOPE_CONFIG, dedupScope);
    }
    SieveConfig config = new SieveConfig(props);
    AvroSerdes serdes = new AvroSerdes(new InMemorySchemaRegistry());
    String description =
        SieveTopology.build(config, Topics.from(config, serdes), serdes, new SieveMetrics())
            .describe()
            .toString();
    // the batch sink names its topic-name extractor by its lambda class, which differs per run
    return description.replaceAll("\\$\\$Lambda[^)\\s]*", "\\$\\$Lambda");
  }

  @Test
  void topologyMatchesTheCheckedInDescription() throws IOException {
    // Given the current topology
    String actual = describe();
    if (Boolean.getBoolean(UPDATE)) {
      Files.writeString(GOLDEN, actual, StandardCharsets.UTF_8);
    }

    // When it is compared with the checked-in description
    String expected = Files.readString(GOLDEN, StandardCharsets.UTF_8);

    // Then they are the same
    assertThat(actual)
        .as(
            "the topology differs from %s; if the change is intended, run"
                + " `mvn -q -o -pl schemas,topology test -Dtest=TopologyGoldenTest -D%s=true"
                + " -Dsurefire.failIfNoSpecifiedTests=false` and commit the file",
            GOLDEN, UPDATE)
        .isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {SieveConfig.DEDUP_SCOPE_GLOBAL, SieveConfig.DEDUP_SCOPE_CLUSTER})
  void everyNodeAndInternalTopicHasAnExplicitName(String dedupScope) {
    // Given the description of the topology, with exact dedup in either place
    String description = describe(dedupScope);

    // Then no generated name is left in it
    assertThat(description)
        .as("generated names change when the topology changes; name every node")
        .doesNotContain("KSTREAM-")
        .doesNotContain("KTABLE-")
        .doesNotContain("-0000");
  }
}
