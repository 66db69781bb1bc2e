package io.sieve.it;

import io.sieve.embedded.EmbeddedKafka;
import io.sieve.embedded.RegistryServer;
import io.sieve.embedded.WorkDir;
import io.sieve.registry.RestSchemaRegistry;
import io.sieve.serde.AvroSerdes;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An {@link ItStack} for the tests of one class: registered as a static {@code @RegisterExtension}
 * field, it starts before the class's {@code @BeforeAll} methods and closes after its
 * {@code @AfterAll} ones. The registry's output goes to a temporary directory that is removed with
 * the stack.
 */
public final class PerClassStack implements BeforeAllCallback, AfterAllCallback {

  private WorkDir dir;
  private ItStack stack;

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    dir = WorkDir.create("sieve-it-");
    stack = ItStack.start(null, dir.resolve("registry.log"));
  }

  @Override
  public void afterAll(ExtensionContext context) {
    ItStack.close(stack);
    if (dir != null) {
      dir.close();
    }
  }

  public EmbeddedKafka kafka() {
    return stack.kafka();
  }

  public RegistryServer registry() {
    return stack.registry();
  }

  /** The broker's and the registry's addresses, for {@link SieveScenarios}. */
  public SieveStack addresses() {
    return new SieveStack(kafka().bootstrapServers(), registry().url());
  }

  /** Serdes over the stack's registry. */
  public AvroSerdes serdes() {
    return new AvroSerdes(new RestSchemaRegistry(registry().url()));
  }
}
