package io.sieve.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The service artifact (the runnable jar a production image ships) holds what a pod runs and
 * nothing else: no Kafka broker, no Scala, no local runtime, demo, benchmark or evaluation code.
 */
class ServiceArtifactIT {
  private static final List<String> FORBIDDEN =
      List.of(
          "kafka/", // the broker (Scala packages kafka.server, kafka.log, ...); clients keep only
          // .properties here
          "scala/",
          "org/apache/kafka/raft/",
          "org/apache/kafka/storage/",
          "org/apache/kafka/metadata/",
          "io/sieve/embedded/",
          "io/sieve/cli/",
          "io/sieve/demo/",
          "io/sieve/bench/",
          "io/sieve/quality/");

  @Test
  void shouldShipTheServiceWithoutBrokerClassesOrTheLab() throws IOException {
    Path dir = Path.of(System.getProperty("sieve.service.jar.dir", "target"));
    Path jar;
    try (Stream<Path> files = Files.list(dir)) {
      jar =
          files
              .filter(p -> p.getFileName().toString().matches("sieve-topology-.*-all\\.jar"))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no service jar in " + dir));
    }
    try (JarFile file = new JarFile(jar.toFile())) {
      List<String> names = file.stream().map(e -> e.getName()).toList();
      assertThat(names)
          .contains("io/sieve/app/SieveMain.class", "io/sieve/topology/SieveTopology.class");
      assertThat(names)
          .filteredOn(n -> n.endsWith(".class") && FORBIDDEN.stream().anyMatch(n::startsWith))
          .as("classes of the broker or the lab in the service artifact")
          .isEmpty();
      assertThat(file.getManifest().getMainAttributes().getValue("Main-Class"))
          .isEqualTo("io.sieve.app.SieveMain");
    }
  }
}
