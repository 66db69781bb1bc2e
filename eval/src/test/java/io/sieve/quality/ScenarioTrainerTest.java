package io.sieve.quality;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.BatchExample;
import io.sieve.avro.TrainerFeedback;
import io.sieve.avro.TrainingBatch;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ScenarioTrainerTest {

  /** Two well separated classes in 2-D plus a constant, group a or b by the sign of y. */
  private static ScenarioTrainer.Labelled points(int n, long seed) {
    Random rng = new Random(seed);
    float[][] x = new float[n][];
    int[] y = new int[n];
    String[] g = new String[n];
    for (int i = 0; i < n; i++) {
      y[i] = i % 2;
      float cx = y[i] == 0 ? -1 : 1;
      float[] v = {cx + 0.3f * (float) rng.nextGaussian(), (float) rng.nextGaussian(), 1};
      io.sieve.cluster.Vectors.normalize(v);
      x[i] = v;
      g[i] = v[1] > 0 ? "a" : "b";
    }
    return new ScenarioTrainer.Labelled(x, y, g);
  }

  private static ScenarioTrainer.Setup setup(int evalBatches, int roundSize) {
    return setup(evalBatches, roundSize, false);
  }

  private static ScenarioTrainer.Setup setup(int evalBatches, int roundSize, boolean reference) {
    return setup(evalBatches, roundSize, reference ? "reference" : "step");
  }

  private static ScenarioTrainer.Setup setup(int evalBatches, int roundSize, String learnability) {
    return new ScenarioTrainer.Setup(
        2,
        3,
        "grp",
        "grp",
        points(200, 1),
        points(400, 2),
        Set.of("e0-0"),
        1,
        0.05,
        640,
        64,
        evalBatches,
        roundSize,
        3,
        16,
        learnability);
  }

  private static TrainingBatch batch(int seq, ScenarioTrainer.Labelled data) {
    List<BatchExample> examples = new ArrayList<>();
    for (int k = 0; k < 16; k++) {
      int i = (seq * 16 + k) % data.y().length;
      List<Float> emb = new ArrayList<>();
      for (float f : data.x()[i]) {
        emb.add(f);
      }
      examples.add(
          BatchExample.newBuilder()
              .setId("e" + seq + "-" + k)
              .setClusterId(data.y()[i])
              .setEmbedding(emb)
              .setLabel(Integer.toString(data.y()[i]))
              .setGroups(Map.of("grp", data.group()[i]))
              .build());
    }
    Instant now = Instant.now();
    return TrainingBatch.newBuilder()
        .setBatchId("b" + seq)
        .setTrainerId("t")
        .setSequence(seq)
        .setRound(0)
        .setCycle(0)
        .setPolicy("uniform")
        .setPolicyStateVersion(0)
        .setSeed(1)
        .setModelVersion(0)
        .setExamples(examples)
        .setRequested(16)
        .setComplete(true)
        .setPlannedAt(now)
        .setAssembledAt(now)
        .build();
  }

  @Test
  void onlineTrainerSendsFeedbackV2AndNoTestMetrics() {
    // Given an online trainer with an evaluation round every 4 batches
    ScenarioTrainer t =
        new ScenarioTrainer("t", "uniform", ScenarioTrainer.Kind.ONLINE, 1, setup(4, 64));
    ScenarioTrainer.Labelled stream = points(2000, 3);
    List<TrainerFeedback> sent = new ArrayList<>();
    // When it trains on 8 batches
    for (int s = 0; s < 8; s++) {
      sent.add(t.train(batch(s, stream)));
    }
    // Then every feedback carries losses and learnability, never test metrics
    for (TrainerFeedback f : sent) {
      assertThat(f.getExampleLosses()).hasSize(16);
      assertThat(f.getExampleLearnability()).hasSize(16);
      assertThat(f.getClusterLearnability()).containsOnlyKeys("0", "1");
      assertThat(f.getGroupMetrics()).isEmpty();
    }
    // and early on the step lowers the loss of the batch it trained on: learnability > 0
    double meanGain =
        sent.get(0).getExampleLearnability().values().stream()
            .mapToDouble(Double::doubleValue)
            .average()
            .orElseThrow();
    assertThat(meanGain).isPositive();
    // and batches 4 and 8 close evaluation rounds 0 and 1 with validation losses and the counts
    // trained on since the previous round
    assertThat(sent.get(2).getEvaluation()).isNull();
    assertThat(sent.get(3).getEvaluation().getRound()).isZero();
    assertThat(sent.get(7).getEvaluation().getRound()).isEqualTo(1);
    var round = sent.get(7).getEvaluation();
    assertThat(round.getGroupLosses()).containsOnlyKeys("grp=a", "grp=b");
    assertThat(round.getClusterLosses()).containsOnlyKeys("0", "1");
    assertThat(round.getTrainedClusterCounts().values().stream().mapToLong(Long::longValue).sum())
        .isEqualTo(64);
    // and the validation loss falls as it learns
    assertThat(round.getValidationLoss())
        .isLessThan(sent.get(3).getEvaluation().getValidationLoss());
    assertThat(t.badConsumed()).isEqualTo(1);
    assertThat(t.curve().get(t.curve().size() - 1).accuracy()).isGreaterThan(0.9);
  }

  @Test
  void dataLimitedTrainerTrainsOnlyAtTheEndOfARound() {
    ScenarioTrainer t =
        new ScenarioTrainer("t", "uniform", ScenarioTrainer.Kind.CUMULATIVE, 1, setup(4, 64));
    ScenarioTrainer.Labelled stream = points(2000, 3);
    double first = t.curve().get(0).accuracy();
    TrainerFeedback f0 = t.train(batch(0, stream));
    // before the round closes nothing is learnt: no learnability, no evaluation
    assertThat(f0.getExampleLearnability()).isEmpty();
    assertThat(f0.getEvaluation()).isNull();
    t.train(batch(1, stream));
    t.train(batch(2, stream));
    TrainerFeedback f3 = t.train(batch(3, stream));
    // the fourth batch completes a round of 64: passes over it, learnability of all 64
    assertThat(f3.getExampleLearnability()).hasSize(64);
    assertThat(f3.getEvaluation()).isNotNull();
    assertThat(
            f3.getEvaluation().getTrainedGroupCounts().values().stream()
                .mapToLong(Long::longValue)
                .sum())
        .isEqualTo(64);
    assertThat(t.curve().get(t.curve().size() - 1).accuracy()).isGreaterThan(Math.max(first, 0.8));
  }

  /** The batch of {@link #batch} with the label of every example k ≡ 0 (mod 4) swapped. */
  private static TrainingBatch mislabelled(int seq, ScenarioTrainer.Labelled data) {
    TrainingBatch b = batch(seq, data);
    List<BatchExample> examples = new ArrayList<>();
    for (int k = 0; k < b.getExamples().size(); k++) {
      BatchExample e = b.getExamples().get(k);
      if (k % 4 == 0) {
        int wrong = 1 - Integer.parseInt(e.getLabel());
        e = BatchExample.newBuilder(e).setLabel(Integer.toString(wrong)).build();
      }
      examples.add(e);
    }
    return TrainingBatch.newBuilder(b).setExamples(examples).build();
  }

  @Test
  void dataLimitedTrainerReportsLowerLearnabilityOnMislabelledExamples() {
    // Given a data-limited trainer fed batches where a quarter of the labels are swapped
    ScenarioTrainer t =
        new ScenarioTrainer("t", "uniform", ScenarioTrainer.Kind.CUMULATIVE, 1, setup(4, 64));
    ScenarioTrainer.Labelled stream = points(2000, 3);
    double clean = 0;
    double noisy = 0;
    int cleanN = 0;
    int noisyN = 0;
    // When it trains on 12 batches (three rounds)
    for (int s = 0; s < 12; s++) {
      TrainerFeedback f = t.train(mislabelled(s, stream));
      for (Map.Entry<String, Double> e : f.getExampleLearnability().entrySet()) {
        int k = Integer.parseInt(e.getKey().substring(e.getKey().indexOf('-') + 1));
        if (k % 4 == 0) {
          noisy += e.getValue();
          noisyN++;
        } else {
          clean += e.getValue();
          cleanN++;
        }
      }
    }
    // Then its passes lower the loss of the clean examples more than that of the mislabelled
    // ones, which the clean majority keeps it from learning
    assertThat(noisyN).isEqualTo(48);
    assertThat(noisy / noisyN).isLessThan(clean / cleanN);
  }

  @Test
  void testMetricsCoverBalancedNewClassAndGroups() {
    ScenarioTrainer t =
        new ScenarioTrainer("t", "uniform", ScenarioTrainer.Kind.ONLINE, 1, setup(4, 64));
    ScenarioTrainer.Point p = t.curve().get(0);
    assertThat(p.groupAccuracy()).containsOnlyKeys("a", "b");
    assertThat(p.classAccuracy()).hasSize(2);
    assertThat(p.balancedAccuracy()).isEqualTo((p.classAccuracy()[0] + p.classAccuracy()[1]) / 2);
    assertThat(p.newClassAccuracy()).isEqualTo(p.classAccuracy()[1]);
  }

  @Test
  void gssRowsWithMissingValuesAreSkippedAndEncodedOneHot() throws IOException {
    String csv =
        "\"year\",\"gender\",\"nativeBorn\",\"ageGroup\",\"educGroup\",\"vocab\",\"age\",\"educ\"\n"
            + "\"1978\",\"female\",\"yes\",\"50-59\",\"12 yrs\",10,52,12\n"
            + "\"1978\",\"male\",\"no\",\"60+\",\"<12 yrs\",6,74,9\n"
            + "\"1980\",\"male\",\"\",\"60+\",\"<12 yrs\",6,74,9\n"
            + "\"1982\",\"female\",\"yes\",\"18-29\",\"16 yrs\",,25,16\n";
    List<GssVocab.Row> rows = GssVocab.parse(new BufferedReader(new StringReader(csv)));
    assertThat(rows).hasSize(2);
    GssVocab.Encoder enc = new GssVocab.Encoder(rows);
    // years {1978}, genders 2, nativeBorn 2, ages 2, educ 2, then age, educ and a constant
    assertThat(enc.dimension()).isEqualTo(1 + 2 + 2 + 2 + 2 + 3);
    float[] f = enc.encode(rows.get(1));
    double ones = 0;
    for (float v : f) {
      ones += v == 1f ? 1 : 0;
    }
    assertThat(ones).isEqualTo(6); // five one-hot parts and the constant
    assertThat(f[f.length - 3]).isEqualTo(0.74f);
  }

  @Test
  void referenceLearnabilityIsNegativeForAWrongLabelAndPositiveForAnUnlearntRightOne() {
    // Given an online trainer whose learnability is reducible loss against a reference model
    // trained on its validation slice
    ScenarioTrainer t =
        new ScenarioTrainer("t", "uniform", ScenarioTrainer.Kind.ONLINE, 1, setup(4, 64, true));
    ScenarioTrainer.Labelled stream = points(2000, 3);
    // When its first batch has half its examples' labels flipped, of both classes (ids e0-0, e0-1,
    // e0-4, e0-5, ...)
    TrainerFeedback f = t.train(halfFlipped(batch(0, stream)));
    // Then the flipped examples' learnability is negative on average (the reference is surer of
    // the other label than the untrained model is), the right ones' positive
    double[] mean = learnabilityByFlip(f);
    assertThat(mean[0]).isLessThan(-0.1);
    assertThat(mean[1]).isGreaterThan(0.1);
    // and the group means carry it too
    assertThat(f.getGroupLearnability()).containsOnlyKeys("grp=a", "grp=b", "@label=0", "@label=1");
  }

  @Test
  void classLearnabilityIsFarBelowZeroForAWrongLabelAndNearZeroForARightOne() {
    // Given an online trainer whose learnability is its validation loss on the example's label
    // minus the example's loss, trained on ten clean batches
    ScenarioTrainer t =
        new ScenarioTrainer("t", "uniform", ScenarioTrainer.Kind.ONLINE, 1, setup(4, 64, "class"));
    ScenarioTrainer.Labelled stream = points(2000, 3);
    for (int b = 0; b < 10; b++) {
      t.train(batch(b, stream));
    }
    // When a batch has half its examples' labels flipped
    TrainerFeedback f = t.train(halfFlipped(batch(10, stream)));
    // Then the flipped examples cost the model far more than their label's validation examples
    // do, and the right ones about what those do
    double[] mean = learnabilityByFlip(f);
    assertThat(mean[0]).isLessThan(-0.5);
    assertThat(Math.abs(mean[1])).isLessThan(0.2);
  }

  /** The batch with the labels of examples 0, 1, 4, 5, … (half of each class) flipped. */
  private static TrainingBatch halfFlipped(TrainingBatch clean) {
    List<BatchExample> mixed = new ArrayList<>();
    for (int k = 0; k < clean.getExamples().size(); k++) {
      BatchExample e = clean.getExamples().get(k);
      if (k % 4 < 2) {
        String flipped = "0".equals(e.getLabel()) ? "1" : "0";
        e = BatchExample.newBuilder(e).setLabel(flipped).build();
      }
      mixed.add(e);
    }
    return TrainingBatch.newBuilder(clean).setExamples(mixed).build();
  }

  /** Mean example learnability of the flipped examples of {@link #halfFlipped} and the others. */
  private static double[] learnabilityByFlip(TrainerFeedback f) {
    double[] sum = new double[2];
    int[] n = new int[2];
    f.getExampleLearnability()
        .forEach(
            (id, v) -> {
              int side = Integer.parseInt(id.substring(id.indexOf('-') + 1)) % 4 < 2 ? 0 : 1;
              sum[side] += v;
              n[side]++;
            });
    return new double[] {sum[0] / n[0], sum[1] / n[1]};
  }
}
