package io.sieve.it;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sieve.app.SieveService;
import io.sieve.config.SieveConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The topics Sieve finds on a real broker at start-up. */
class TopicsIT {

  @RegisterExtension static final PerClassStack STACK = new PerClassStack();

  @TempDir Path temp;

  @Test
  void shouldRefuseToStartWhenTrainersAndFeedbackAreNotCoPartitioned() throws Exception {
    // Given a trainers topic of 3 partitions and a feedback topic of 2, made before Sieve starts
    Map<String, Object> props =
        ItConfigs.isolated(
            "copartition",
            STACK.kafka().bootstrapServers(),
            STACK.registry().url(),
            temp.resolve("state"));
    props.put(SieveConfig.TOPIC_PARTITIONS_CONFIG, 3);
    SieveConfig config = new SieveConfig(props);
    String trainers = config.getString(SieveConfig.TOPIC_TRAINERS_CONFIG);
    String feedback = config.getString(SieveConfig.TOPIC_FEEDBACK_CONFIG);
    try (Admin admin =
        Admin.create(
            Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, STACK.kafka().bootstrapServers()))) {
      admin
          .createTopics(
              List.of(new NewTopic(trainers, 3, (short) 1), new NewTopic(feedback, 2, (short) 1)))
          .all()
          .get(60, TimeUnit.SECONDS);
    }

    // When Sieve starts on them, then it refuses with the topics and their partition counts
    assertThatThrownBy(() -> new SieveService(config).start().close())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(trainers + " (3 partitions)")
        .hasMessageContaining(feedback + " (2 partitions)")
        .hasMessageContaining("must have the same number of partitions");
  }
}
