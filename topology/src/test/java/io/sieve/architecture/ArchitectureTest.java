package io.sieve.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The direction of imports in the service: the wiring ({@code topology}) and the service around it
 * ({@code app}, {@code query}) on top; one package per pipeline stage below, none importing
 * another; the shared plumbing ({@code stream}, {@code errors}, {@code serde}, {@code config},
 * {@code registry}) under the stages; and the algorithm packages at the bottom, knowing nothing of
 * Kafka Streams.
 */
class ArchitectureTest {
  static final List<String> STAGES =
      List.of("validate", "dedup", "assign", "pool", "plan", "assemble", "feedback");
  static final List<String> ALGORITHMS = List.of("cluster", "policy", "diversity", "embed");
  static final List<String> PLUMBING = List.of("stream", "errors", "serde", "config", "registry");
  static final List<String> TOP = List.of("topology", "app", "query");

  private static JavaClasses service;

  @BeforeAll
  static void importService() {
    service =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.sieve");
  }

  private static String[] packages(List<String> names) {
    return names.stream().map(n -> "io.sieve." + n + "..").toArray(String[]::new);
  }

  private static String[] without(List<String> names, String name) {
    return Arrays.stream(packages(names))
        .filter(p -> !p.equals("io.sieve." + name + ".."))
        .toArray(String[]::new);
  }

  @Test
  void shouldKeepEveryStageFromImportingAnotherStage() {
    for (String stage : STAGES) {
      noClasses()
          .that()
          .resideInAPackage("io.sieve." + stage + "..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(without(STAGES, stage))
          .because("stages meet only through topics and stores wired in io.sieve.topology")
          .check(service);
    }
  }

  @Test
  void shouldKeepStagesAndPlumbingFromImportingTheWiringOrTheServiceAroundIt() {
    noClasses()
        .that()
        .resideInAnyPackage(packages(STAGES))
        .or()
        .resideInAnyPackage(packages(PLUMBING))
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(packages(TOP))
        .check(service);
  }

  @Test
  void shouldKeepPlumbingFromImportingStages() {
    noClasses()
        .that()
        .resideInAnyPackage(packages(PLUMBING))
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(packages(STAGES))
        .check(service);
  }

  @Test
  void shouldKeepAlgorithmsFreeOfKafkaStreamsAndOfEverythingAboveThem() {
    noClasses()
        .that()
        .resideInAnyPackage(packages(ALGORITHMS))
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.apache.kafka.streams..")
        .orShould()
        .dependOnClassesThat()
        .resideInAnyPackage(packages(STAGES))
        .orShould()
        .dependOnClassesThat()
        .resideInAnyPackage(packages(TOP))
        .orShould()
        .dependOnClassesThat()
        .resideInAnyPackage("io.sieve.stream..", "io.sieve.errors..", "io.sieve.registry..")
        .check(service);
  }

  @Test
  void shouldKeepTheLabOutOfTheService() {
    noClasses()
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "kafka..",
            "scala..",
            "io.sieve.embedded..",
            "io.sieve.cli..",
            "io.sieve.demo..",
            "io.sieve.bench..",
            "io.sieve.quality..")
        .because("the service artifact carries only what a production pod runs")
        .check(service);
  }
}
