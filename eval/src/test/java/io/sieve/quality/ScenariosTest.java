package io.sieve.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ScenariosTest {

  private static List<Dataset.Item> textItems(int n) {
    List<Dataset.Item> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(
          new Dataset.Item(
              "t" + i, "gloss number " + i + " of a synset about things", null, i % 5, "n"));
    }
    return out;
  }

  private static List<Dataset.Item> imageItems(int n, int classes, long seed) {
    Random rng = new Random(seed);
    List<Dataset.Item> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      float[] f = {rng.nextFloat(), rng.nextFloat(), 1};
      int label = rng.nextInt(classes);
      out.add(new Dataset.Item("i" + i, null, f, label, label < 5 ? "a" : "b"));
    }
    return out;
  }

  @Test
  void redundancyMakesHalfTheStreamEditedCopiesOfPopularOriginals() {
    // Given 4,000 distinct glosses
    List<Dataset.Item> items = textItems(4000);
    // When S1 turns half the stream into re-crawled copies with Zipf popularity
    Scenarios.Redundant r = Scenarios.redundant(items, "pos", 0.5, 0.8, 7);
    // Then half the stream is copies, the originals are the oracle's clean stream
    assertThat(r.stream()).hasSize(4000);
    assertThat(r.originals()).hasSize(2000);
    List<ScenarioData.Example> copies =
        r.stream().stream().filter(e -> e.id().contains("~c")).toList();
    assertThat(copies).hasSize(2000);
    Map<String, ScenarioData.Example> byId =
        r.originals().stream().collect(Collectors.toMap(ScenarioData.Example::id, e -> e));
    Map<String, Integer> perSource = new HashMap<>();
    for (ScenarioData.Example c : copies) {
      ScenarioData.Example src = byId.get(c.id().substring(0, c.id().indexOf("~c")));
      // a copy keeps its original's label and groups but not its exact text
      assertThat(c.label()).isEqualTo(src.label());
      assertThat(c.groups()).isEqualTo(src.groups());
      assertThat(c.text()).isNotEqualTo(src.text());
      perSource.merge(src.id(), 1, Integer::sum);
    }
    // and the most popular original (rank 1) is copied far more often than a typical one
    int top = perSource.getOrDefault(r.originals().get(0).id(), 0);
    assertThat(top).isGreaterThan(20);
    assertThat(perSource.size()).isLessThan(2000);
    // and the copies are spread through the stream, not appended
    int firstCopy = 0;
    while (!r.stream().get(firstCopy).id().contains("~c")) {
      firstCopy++;
    }
    assertThat(firstCopy).isLessThan(50);
  }

  @Test
  void shouldConcentrateS1CCopiesInAFewTopics() {
    // Given 4,000 glosses of 5 topics, one of them (label 4) under 1 % of the originals
    List<Dataset.Item> items = new ArrayList<>();
    for (Dataset.Item i : textItems(4000)) {
      boolean rare = i.label() == 4 && Integer.parseInt(i.id().substring(1)) % 200 != 4;
      items.add(rare ? new Dataset.Item(i.id(), i.text(), null, 3, "n") : i);
    }
    // When S1C turns half the stream into copies of 3 topics
    Scenarios.Redundant r = Scenarios.redundant(items, "pos", 0.5, 0.8, 3, 7);
    // Then half the stream is still copies, the originals as in S1
    assertThat(r.stream()).hasSize(4000);
    assertThat(r.originals()).hasSize(2000);
    Set<Integer> copied =
        r.stream().stream()
            .filter(e -> e.id().contains("~c"))
            .map(ScenarioData.Example::label)
            .collect(Collectors.toSet());
    // every copy is of one of 3 topics, never of the one under 1 % of the originals
    assertThat(copied).hasSize(3).doesNotContain(4);
    // and another seed may draw other topics, still 3
    assertThat(
            Scenarios.redundant(items, "pos", 0.5, 0.8, 3, 8).stream().stream()
                .filter(e -> e.id().contains("~c"))
                .map(ScenarioData.Example::label)
                .distinct()
                .count())
        .isEqualTo(3);
  }

  @Test
  void recrawlDropsOneWordAndSometimesAddsBoilerplate() {
    Random rng = new Random(1);
    int withBoilerplate = 0;
    for (int i = 0; i < 200; i++) {
      String copy = Scenarios.recrawl("one two three four five", rng);
      boolean added = Scenarios.S1_BOILERPLATE.stream().anyMatch(copy::endsWith);
      String body = copy;
      if (added) {
        withBoilerplate++;
        for (String b : Scenarios.S1_BOILERPLATE) {
          if (copy.endsWith(" " + b)) {
            body = copy.substring(0, copy.length() - b.length() - 1);
          }
        }
      }
      assertThat(body.split(" ")).hasSize(4);
    }
    assertThat(withBoilerplate).isBetween(70, 130);
  }

  @Test
  void noisySourcesSupplyNinePercentWithTheirPairSwapped() {
    // Given 10,000 images over 10 classes
    List<Dataset.Item> items = imageItems(10_000, 10, 3);
    Map<String, Integer> trueLabel =
        items.stream().collect(Collectors.toMap(Dataset.Item::id, Dataset.Item::label));
    // When S2 adds three noisy sources of 3 % each
    Scenarios.Noisy n =
        Scenarios.noisy(items, Scenarios.S2_CONFUSED_PAIRS, 0.03, Scenarios.S2_CLEAN_SOURCES, 3);
    // Then 9 % of the stream is bad, each bad example carries the other label of its pair
    assertThat(n.bad()).hasSize(900);
    for (ScenarioData.Example e : n.stream()) {
      String source = e.groups().get("source");
      if (n.bad().contains(e.id())) {
        assertThat(source).startsWith("noisy-");
        int[] pair = Scenarios.S2_CONFUSED_PAIRS[Integer.parseInt(source.substring(6)) - 1];
        int truth = trueLabel.get(e.id());
        assertThat(truth).isIn(pair[0], pair[1]);
        assertThat(e.label()).isEqualTo(truth == pair[0] ? pair[1] : pair[0]);
      } else {
        assertThat(source).startsWith("vendor-");
        assertThat(e.label()).isEqualTo(trueLabel.get(e.id()));
      }
    }
    assertThat(n.stream().stream().map(e -> e.groups().get("source")).distinct().count())
        .isEqualTo(10);
  }

  @Test
  void minorityIsSubsampledToItsShareAndTheMajorityKept() {
    List<ScenarioData.Example> items = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      items.add(
          new ScenarioData.Example(
              "g" + i,
              null,
              new float[] {1},
              i % 2,
              Map.of("nativeBorn", i % 4 == 0 ? "no" : "yes")));
    }
    List<ScenarioData.Example> out = Scenarios.minority(items, "nativeBorn", "no", 0.05);
    long minority = out.stream().filter(e -> "no".equals(e.groups().get("nativeBorn"))).count();
    assertThat(out.size() - minority).isEqualTo(3750);
    assertThat(minority / (double) out.size()).isCloseTo(0.05, within(0.001));
  }

  @Test
  void longTailFollowsTheCifarLtProfileWithRatio100() {
    int[] counts = Scenarios.longTailCounts(6000, 10, 100);
    assertThat(counts[0]).isEqualTo(6000);
    assertThat(counts[9]).isEqualTo(60);
    for (int c = 1; c < 10; c++) {
      assertThat(counts[c]).isLessThan(counts[c - 1]);
    }
    List<Dataset.Item> items = imageItems(20_000, 10, 5);
    List<ScenarioData.Example> tail = Scenarios.longTail(items, 10, 100, "family");
    int[] kept = new int[10];
    tail.forEach(e -> kept[e.label()]++);
    int smallest =
        (int)
            items.stream()
                .collect(Collectors.groupingBy(Dataset.Item::label, Collectors.counting()))
                .values()
                .stream()
                .mapToLong(Long::longValue)
                .min()
                .orElseThrow();
    assertThat(kept).containsExactly(Scenarios.longTailCounts(smallest, 10, 100));
    assertThat(tail.get(0).groups()).containsKey("label");
  }

  @Test
  void driftHoldsTheNewClassBackUntilTheSecondPhase() {
    List<Dataset.Item> items = imageItems(5000, 10, 9);
    Scenarios.Drift d = Scenarios.drift(items, "family", 3, 0.6);
    assertThat(d.stream().subList(0, d.arrival())).noneMatch(e -> e.label() == 3);
    List<ScenarioData.Example> second = d.stream().subList(d.arrival(), d.stream().size());
    assertThat(second).hasSize(2000);
    long fresh = second.stream().filter(e -> e.label() == 3).count();
    assertThat(fresh / 2000.0).isCloseTo(0.1, within(0.03));
  }

  @Test
  void zipfSamplingFavoursLowRanks() {
    double[] cdf = Scenarios.zipfCdf(1000, 0.8);
    assertThat(cdf[999]).isCloseTo(1.0, within(1e-12));
    Random rng = new Random(2);
    int[] hits = new int[1000];
    for (int i = 0; i < 100_000; i++) {
      hits[Scenarios.sample(cdf, rng.nextDouble())]++;
    }
    // P(rank 1) / P(rank 10) = 10^0.8 ≈ 6.3
    assertThat(hits[0] / (double) hits[9]).isCloseTo(Math.pow(10, 0.8), within(1.0));
  }

  @Test
  void targetsOfTheGroupBaselinesAreEqualOrSquareRootShares() {
    List<ScenarioData.Example> stream = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      stream.add(
          new ScenarioData.Example(
              "x" + i, null, new float[] {1}, i < 81 ? 0 : 1, Map.of("g", i < 50 ? "a" : "b")));
    }
    ScenarioData d = TestScenarioData.of(Scenario.S5, 2, 1, stream, stream.size(), null, -1);
    assertThat(ScenarioBenchmark.targets(d, "stratified")).isEqualTo("g=a:0.500000,g=b:0.500000");
    assertThat(ScenarioBenchmark.targets(d, "label-balanced"))
        .isEqualTo("label=0:0.500000,label=1:0.500000");
    // √81 : √19 = 9 : 4.359, i.e. 0.673708… : 0.326291…, rounded down
    assertThat(ScenarioBenchmark.targets(d, "sqrt-balanced"))
        .isEqualTo("label=0:0.673708,label=1:0.326291");
  }

  @Test
  void imageRedundancyJittersEachCopyToACosineInTheStatedRange() {
    // Given 2,000 images (no text)
    List<Dataset.Item> items = imageItems(2000, 10, 3);
    // When S1 turns half the stream into copies
    Scenarios.Redundant r = Scenarios.redundant(items, "family", 0.5, 0.8, 7);
    Map<String, ScenarioData.Example> byId =
        r.originals().stream().collect(Collectors.toMap(ScenarioData.Example::id, e -> e));
    List<ScenarioData.Example> copies =
        r.stream().stream().filter(e -> e.id().contains("~c")).toList();
    assertThat(copies).hasSize(1000);
    double lowest = 1;
    double highest = 0;
    for (ScenarioData.Example c : copies) {
      ScenarioData.Example src = byId.get(c.id().substring(0, c.id().indexOf("~c")));
      // Then each copy is text-free, keeps its label, and sits at a cosine within the range
      assertThat(c.text()).isNull();
      assertThat(c.label()).isEqualTo(src.label());
      double cos = cosine(c.embedding(), src.embedding());
      lowest = Math.min(lowest, cos);
      highest = Math.max(highest, cos);
    }
    assertThat(lowest).isGreaterThanOrEqualTo(Scenarios.S1_JITTER_MIN_COSINE - 1e-5);
    assertThat(highest).isLessThanOrEqualTo(Scenarios.S1_JITTER_MAX_COSINE + 1e-5);
    // spread over the range, not piled at one end
    assertThat(lowest).isLessThan(0.987);
    assertThat(highest).isGreaterThan(0.997);
  }

  private static double cosine(float[] a, float[] b) {
    double ab = 0;
    double aa = 0;
    double bb = 0;
    for (int i = 0; i < a.length; i++) {
      ab += a[i] * b[i];
      aa += a[i] * a[i];
      bb += b[i] * b[i];
    }
    return ab / Math.sqrt(aa * bb);
  }
}
