package io.sieve.app;

import io.sieve.config.SieveConfig;
import io.sieve.config.Topics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/** Creates the topics Sieve needs; existing topics are left as they are. */
public final class TopicAdmin implements AutoCloseable {

  private final SieveConfig config;
  private final Admin admin;

  public TopicAdmin(SieveConfig config) {
    this.config = config;
    this.admin = Admin.create(properties(config));
  }

  /** The admin client's settings: the pass-through (security included) and the brokers. */
  public static Map<String, Object> properties(SieveConfig config) {
    Map<String, Object> props = new HashMap<>(config.clientPassThrough());
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    return props;
  }

  /**
   * The topics of {@link Topics#required}, with the configured partitions and replication.
   *
   * @return the names of the topics created now; the others existed already
   */
  public List<String> ensureRequired(Topics topics) {
    List<NewTopic> wanted = new ArrayList<>();
    for (Topics.Spec spec : topics.required(config.partitions(), config.maxRecordBytes())) {
      wanted.add(
          new NewTopic(spec.name(), spec.partitions(), config.replicationFactor())
              .configs(spec.configs()));
    }
    return create(wanted);
  }

  /** A trainer's batch topic, sized for the largest batch record. */
  public void ensureBatchTopic(String trainerId) {
    Map<String, String> configs =
        Map.of(
            TopicConfig.MAX_MESSAGE_BYTES_CONFIG,
            Integer.toString(config.getInt(SieveConfig.BATCH_MAX_BYTES_CONFIG) + 65_536));
    create(
        List.of(
            new NewTopic(config.batchTopic(trainerId), 1, config.replicationFactor())
                .configs(configs)));
  }

  public Set<String> listTopics() {
    try {
      return admin.listTopics().names().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("cannot list topics at " + config.bootstrapServers(), e);
    }
  }

  private List<String> create(List<NewTopic> topics) {
    List<String> created = new ArrayList<>();
    admin
        .createTopics(topics)
        .values()
        .forEach(
            (name, future) -> {
              try {
                future.get(60, TimeUnit.SECONDS);
                created.add(name);
              } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                  throw new IllegalStateException("cannot create topic " + name, e.getCause());
                }
              } catch (Exception e) {
                throw new IllegalStateException("cannot create topic " + name, e);
              }
            });
    return created;
  }

  @Override
  public void close() {
    admin.close();
  }
}
