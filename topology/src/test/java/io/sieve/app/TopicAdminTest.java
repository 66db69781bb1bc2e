package io.sieve.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TopicAdminTest {

  private static final List<List<String>> GROUPS = List.of(List.of("s.trainers", "s.feedback"));

  @Test
  void shouldAcceptCoPartitionedTopics() {
    assertThat(TopicAdmin.coPartitionProblem(GROUPS, Map.of("s.trainers", 3, "s.feedback", 3)))
        .isNull();
  }

  @Test
  void shouldNameTheTopicsAndTheirCountsWhenTheyDiffer() {
    // Given trainers with 3 partitions and feedback with 2
    String problem =
        TopicAdmin.coPartitionProblem(GROUPS, Map.of("s.trainers", 3, "s.feedback", 2));

    // Then the problem names both topics with their counts, and what to do
    assertThat(problem)
        .contains("s.trainers (3 partitions)")
        .contains("s.feedback (2 partitions)")
        .contains("same number of partitions");
  }

  @Test
  void shouldNameAMissingTopic() {
    assertThat(TopicAdmin.coPartitionProblem(GROUPS, Map.of("s.trainers", 1)))
        .contains("s.feedback does not exist");
  }

  @Test
  void shouldRefuseATrainersTopicWhosePartitionsAreNotTopicPartitions() {
    assertThat(TopicAdmin.stagedPartitionProblem("s.trainers", Map.of("s.trainers", 3), 3))
        .isNull();
    assertThat(TopicAdmin.stagedPartitionProblem("s.trainers", Map.of("s.trainers", 3), 6))
        .contains("s.trainers has 3 partitions")
        .contains("topic.partitions is 6");
  }
}
