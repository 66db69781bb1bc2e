package io.sieve.cli;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/**
 * Switches the logging of a long-running local command (demo, local) to {@code logback-quiet.xml}:
 * the console keeps Sieve's own messages, and Kafka's broker and client logs go to a file, whose
 * path the command prints.
 */
public final class QuietConsole {

  /** The logging configuration the local commands choose. */
  static final String CONFIG = "logback-quiet.xml";

  private QuietConsole() {}

  /** Reconfigures logging so that everything but Sieve's own messages goes to logFile. */
  public static Path logTo(Path logFile) throws IOException {
    Path file = logFile.toAbsolutePath();
    if (file.getParent() != null) {
      Files.createDirectories(file.getParent());
    }
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      // another slf4j binding chose its own configuration: leave it alone
      return file;
    }
    URL config = QuietConsole.class.getClassLoader().getResource(CONFIG);
    if (config == null) {
      throw new IllegalStateException(CONFIG + " is not on the class path");
    }
    context.reset();
    context.putProperty("sieve.log.file", file.toString());
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    try {
      configurator.doConfigure(config);
    } catch (JoranException e) {
      throw new IllegalStateException("cannot configure logging from " + config, e);
    }
    return file;
  }
}
