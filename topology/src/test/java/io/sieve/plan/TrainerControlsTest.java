package io.sieve.plan;

import static org.assertj.core.api.Assertions.assertThat;

import io.sieve.avro.TrainerControl;
import io.sieve.avro.TrainerState;
import org.junit.jupiter.api.Test;

class TrainerControlsTest {

  private static TrainerControl.Builder control(String action) {
    return TrainerControl.newBuilder().setTrainerId("t.1").setAction(action);
  }

  private static TrainerState state(long sequence) {
    return TrainerState.newBuilder().setTrainerId("t.1").setSequence(sequence).build();
  }

  @Test
  void batchIdsNameTheRewindsAndParseBack() {
    assertThat(TrainerControls.batchId("t.1", 7, 0)).isEqualTo("t.1-7");
    assertThat(TrainerControls.batchId("t.1", 7, 2)).isEqualTo("t.1-7-r2");
    assertThat(TrainerControls.parse("t.1", "t.1-7")).isEqualTo(new TrainerControls.BatchRef(7, 0));
    assertThat(TrainerControls.parse("t.1", "t.1-7-r2"))
        .isEqualTo(new TrainerControls.BatchRef(7, 2));
    assertThat(TrainerControls.parse("t.1", "t.2-7")).isNull();
    assertThat(TrainerControls.parse("t.1", "t.1-x")).isNull();
    assertThat(TrainerControls.parse("t.1", "t.1--3")).isNull();
    assertThat(TrainerControls.parse("t.1", "t.1-3-rx")).isNull();
  }

  @Test
  void rewindCountsAndRestartsTheSpecSequenceWhileSkipOnlyMoves() {
    TrainerState s = state(10);
    s.setSpecSequence(8);
    assertThat(TrainerControls.apply(s, control("skip").setSequence(15L).build())).isNull();
    assertThat(s.getSequence()).isEqualTo(15L);
    assertThat(s.getRewinds()).isZero();
    assertThat(s.getSpecSequence()).isEqualTo(8L);

    assertThat(TrainerControls.apply(s, control("rewind").setSequence(4L).build())).isNull();
    assertThat(s.getSequence()).isEqualTo(4L);
    assertThat(s.getRewinds()).isEqualTo(1L);
    assertThat(s.getSpecSequence()).isEqualTo(4L);

    TrainerControls.Problem p = TrainerControls.apply(s, control("rewind").setSequence(4L).build());
    assertThat(p.reason()).isEqualTo("invalid-sequence");
    assertThat(s.getRewinds()).isEqualTo(1L);
  }

  @Test
  void quarantinesAreIdempotentSortedAndBounded() {
    TrainerState s = state(0);
    TrainerControls.apply(s, control("quarantine").setGroup("lang=fr").build());
    TrainerControls.apply(s, control("quarantine").setGroup("lang=de").build());
    TrainerControls.apply(s, control("quarantine").setGroup("lang=fr").build());
    TrainerControls.apply(s, control("quarantine").setClusterId(9).build());
    TrainerControls.apply(s, control("quarantine").setClusterId(2).build());
    assertThat(s.getQuarantinedGroups()).containsExactly("lang=de", "lang=fr");
    assertThat(s.getQuarantinedClusters()).containsExactly(2, 9);

    for (int c = 100;
        s.getQuarantinedClusters().size() < TrainerControls.MAX_QUARANTINES - 2;
        c++) {
      assertThat(TrainerControls.apply(s, control("quarantine").setClusterId(c).build())).isNull();
    }
    TrainerControls.Problem full =
        TrainerControls.apply(s, control("quarantine").setClusterId(5).build());
    assertThat(full.reason()).isEqualTo("too-many-quarantines");
    // a quarantine already held is still fine, and a lift makes room
    assertThat(TrainerControls.apply(s, control("quarantine").setClusterId(9).build())).isNull();
    assertThat(TrainerControls.apply(s, control("lift").setClusterId(9).build())).isNull();
    assertThat(TrainerControls.apply(s, control("quarantine").setClusterId(5).build())).isNull();
  }

  @Test
  void checkNamesWhatIsWrong() {
    assertThat(TrainerControls.check("t.1", control("pause").build())).isNull();
    assertThat(TrainerControls.check("t.1", control("lift").setGroup("a=b").build())).isNull();
    assertThat(TrainerControls.check("t.1", control("skip").setSequence(-1L).build()).reason())
        .isEqualTo("invalid-control");
    assertThat(TrainerControls.check("t.1", control("lift").setGroup("=b").build()).reason())
        .isEqualTo("invalid-control");
    assertThat(TrainerControls.check("t.1", control("lift").setGroup("a=").build()).reason())
        .isEqualTo("invalid-control");
    assertThat(TrainerControls.check("t.1", control("lift").setClusterId(-2).build()).reason())
        .isEqualTo("invalid-control");
    assertThat(TrainerControls.check("t.1", control("PAUSE").build()).reason())
        .isEqualTo("unknown-action");
    assertThat(TrainerControls.check("t.2", control("pause").build()).reason())
        .isEqualTo("key-mismatch");
  }
}
