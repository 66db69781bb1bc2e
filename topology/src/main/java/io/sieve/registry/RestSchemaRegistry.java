package io.sieve.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link SchemaRegistry} over the Confluent Schema Registry REST API.
 *
 * <p>Registered ids and fetched schemas are cached for the life of the instance, so after the first
 * call for a given subject and schema (or id) no HTTP request is made. Connection failures,
 * timeouts and 5xx answers are retried a bounded number of times with exponential backoff; 4xx
 * answers are not retried. Instances are thread-safe.
 */
public final class RestSchemaRegistry implements SchemaRegistry {

  private static final Logger LOG = LoggerFactory.getLogger(RestSchemaRegistry.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
  private static final String ACCEPT =
      "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; q=0.9,"
          + " application/json; q=0.5";
  private static final int MAX_BODY_IN_MESSAGE = 1000;
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);

  /**
   * Connection settings.
   *
   * @param baseUrl the API root, e.g. {@code http://127.0.0.1:8080/apis/ccompat/v7}; user info in
   *     the URL is moved to {@code basicAuth}
   * @param basicAuth {@code user:password} for HTTP basic authentication, or null
   * @param sslContext TLS context for {@code https} URLs, or null for the JVM default
   * @param requestTimeout timeout of each HTTP request (and of connecting)
   * @param maxAttempts attempts per request, at least 1
   * @param backoff wait before the first retry; doubled on each further retry (capped at 5 s)
   */
  public record Options(
      String baseUrl,
      String basicAuth,
      SSLContext sslContext,
      Duration requestTimeout,
      int maxAttempts,
      Duration backoff) {

    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);
    public static final int DEFAULT_MAX_ATTEMPTS = 5;
    public static final Duration DEFAULT_BACKOFF = Duration.ofMillis(200);

    public Options {
      Objects.requireNonNull(baseUrl, "baseUrl");
      URI uri;
      try {
        uri = new URI(baseUrl.strip());
      } catch (URISyntaxException e) {
        // the URL may carry credentials: name the problem, not the input
        throw new IllegalArgumentException("invalid schema registry URL: " + e.getReason(), null);
      }
      if (uri.getScheme() == null
          || !(uri.getScheme().equalsIgnoreCase("http")
              || uri.getScheme().equalsIgnoreCase("https"))
          || uri.getHost() == null) {
        throw new IllegalArgumentException(
            "schema registry URL must be http(s)://host[:port][/path]");
      }
      if (uri.getRawUserInfo() != null) {
        if (basicAuth == null) {
          basicAuth = uri.getUserInfo();
        }
        try {
          uri =
              new URI(
                  uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getPath(), null, null);
        } catch (URISyntaxException e) {
          throw new IllegalArgumentException("invalid schema registry URL", e);
        }
      }
      String s = uri.toString();
      while (s.endsWith("/")) {
        s = s.substring(0, s.length() - 1);
      }
      baseUrl = s;
      if (basicAuth != null && basicAuth.indexOf(':') < 0) {
        throw new IllegalArgumentException("basic auth must have the form user:password");
      }
      if (requestTimeout == null) {
        requestTimeout = DEFAULT_REQUEST_TIMEOUT;
      }
      if (requestTimeout.isNegative() || requestTimeout.isZero()) {
        throw new IllegalArgumentException("requestTimeout must be positive");
      }
      if (maxAttempts < 1) {
        throw new IllegalArgumentException("maxAttempts must be at least 1");
      }
      if (backoff == null) {
        backoff = DEFAULT_BACKOFF;
      }
      if (backoff.isNegative()) {
        throw new IllegalArgumentException("backoff must not be negative");
      }
    }

    /** Options for {@code baseUrl} with no authentication and default timeouts and retries. */
    public static Options of(String baseUrl) {
      return builder(baseUrl).build();
    }

    public static Builder builder(String baseUrl) {
      return new Builder(baseUrl);
    }

    /** Never shows the password. */
    @Override
    public String toString() {
      return "Options[baseUrl="
          + baseUrl
          + ", basicAuth="
          + (basicAuth == null ? "none" : "<redacted>")
          + ", tls="
          + (sslContext == null ? "default" : "custom")
          + ", requestTimeout="
          + requestTimeout
          + ", maxAttempts="
          + maxAttempts
          + ", backoff="
          + backoff
          + "]";
    }
  }

  /** Builder of {@link Options}. */
  public static final class Builder {
    private final String baseUrl;
    private String basicAuth;
    private SSLContext sslContext;
    private Duration requestTimeout = Options.DEFAULT_REQUEST_TIMEOUT;
    private int maxAttempts = Options.DEFAULT_MAX_ATTEMPTS;
    private Duration backoff = Options.DEFAULT_BACKOFF;

    private Builder(String baseUrl) {
      this.baseUrl = baseUrl;
    }

    /** HTTP basic authentication as {@code user:password}; null for none. */
    public Builder basicAuth(String userInfo) {
      this.basicAuth = userInfo;
      return this;
    }

    public Builder sslContext(SSLContext sslContext) {
      this.sslContext = sslContext;
      return this;
    }

    public Builder requestTimeout(Duration requestTimeout) {
      this.requestTimeout = requestTimeout;
      return this;
    }

    public Builder maxAttempts(int maxAttempts) {
      this.maxAttempts = maxAttempts;
      return this;
    }

    public Builder backoff(Duration backoff) {
      this.backoff = backoff;
      return this;
    }

    public Options build() {
      return new Options(baseUrl, basicAuth, sslContext, requestTimeout, maxAttempts, backoff);
    }

    @Override
    public String toString() {
      return "RestSchemaRegistry.Builder[baseUrl=" + baseUrl + "]";
    }
  }

  private record SubjectSchema(String subject, Schema schema) {}

  private final Options options;
  private final String authorization;
  private final HttpClient http;
  private final Map<SubjectSchema, Integer> idsBySubjectSchema = new ConcurrentHashMap<>();
  private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();

  public RestSchemaRegistry(Options options) {
    this.options = Objects.requireNonNull(options, "options");
    this.authorization =
        options.basicAuth() == null
            ? null
            : "Basic "
                + Base64.getEncoder()
                    .encodeToString(options.basicAuth().getBytes(StandardCharsets.UTF_8));
    HttpClient.Builder builder =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(options.requestTimeout())
            .followRedirects(HttpClient.Redirect.NORMAL);
    if (options.sslContext() != null) {
      builder.sslContext(options.sslContext());
    }
    this.http = builder.build();
  }

  /** A client of {@code baseUrl} with default options. */
  public RestSchemaRegistry(String baseUrl) {
    this(Options.of(baseUrl));
  }

  public Options options() {
    return options;
  }

  @Override
  public int register(String subject, Schema schema) {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(schema, "schema");
    SubjectSchema key = new SubjectSchema(subject, schema);
    Integer cached = idsBySubjectSchema.get(key);
    if (cached != null) {
      return cached;
    }
    String url = options.baseUrl() + "/subjects/" + encode(subject) + "/versions";
    String what = "registering a schema under subject '" + subject + "'";
    String body;
    try {
      body = JSON.writeValueAsString(Map.of("schema", schema.toString()));
    } catch (JsonProcessingException e) {
      throw new SchemaRegistryException("could not encode the schema for " + what, e);
    }
    HttpRequest request =
        newRequest(url)
            .header("Content-Type", CONTENT_TYPE)
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
            .build();
    JsonNode answer;
    try {
      answer = send(request, what);
    } catch (SchemaRegistryException e) {
      // Two clients registering the first schema of a subject at once can get a 409 from some
      // registries (Apicurio: "artifact already exists"); the schema is then there to look up.
      // A genuine incompatibility is a 409 too, and the look-up will not find it.
      if (e.statusCode() != 409) {
        throw e;
      }
      answer = afterConflict(request, subject, body, what, e);
    }
    JsonNode id = answer.get("id");
    if (id == null || !id.canConvertToInt()) {
      throw new SchemaRegistryException(
          "schema registry at "
              + url
              + " answered without an id when "
              + what
              + ": "
              + clip(answer));
    }
    int value = id.intValue();
    idsBySubjectSchema.putIfAbsent(key, value);
    schemasById.putIfAbsent(value, schema);
    return value;
  }

  /**
   * After a 409: the schema may have been registered by a concurrent request, or by an earlier
   * attempt of this one that timed out, and the registry may still be finishing it. Look it up, and
   * register again, a few times; a genuine incompatibility keeps failing and is reported as such.
   */
  private JsonNode afterConflict(
      HttpRequest register,
      String subject,
      String body,
      String what,
      SchemaRegistryException conflict) {
    long backoff = Math.max(50, options.backoff().toMillis());
    for (int attempt = 1; attempt <= 3; attempt++) {
      try {
        return lookUp(subject, body, conflict);
      } catch (SchemaRegistryException notFound) {
        // fall through to registering again
      }
      try {
        Thread.sleep(backoff * attempt);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        throw conflict;
      }
      try {
        return send(register, what);
      } catch (SchemaRegistryException again) {
        if (again.statusCode() != 409) {
          throw again;
        }
      }
    }
    throw conflict;
  }

  /** {@code POST /subjects/{subject}}: the id of a schema already registered under the subject. */
  private JsonNode lookUp(String subject, String body, SchemaRegistryException conflict) {
    String url = options.baseUrl() + "/subjects/" + encode(subject);
    HttpRequest request =
        newRequest(url)
            .header("Content-Type", CONTENT_TYPE)
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
            .build();
    try {
      return send(request, "looking up a schema under subject '" + subject + "'");
    } catch (SchemaRegistryException notThere) {
      conflict.addSuppressed(notThere);
      throw conflict;
    }
  }

  @Override
  public Schema schemaById(int id) {
    Schema cached = schemasById.get(id);
    if (cached != null) {
      return cached;
    }
    String url = options.baseUrl() + "/schemas/ids/" + id;
    String what = "fetching schema id " + id;
    JsonNode answer = send(newRequest(url).GET().build(), what);
    JsonNode type = answer.get("schemaType");
    if (type != null && type.isTextual() && !type.asText().equalsIgnoreCase("AVRO")) {
      throw new SchemaRegistryException(
          "schema id " + id + " at " + url + " is a " + type.asText() + " schema, not Avro");
    }
    JsonNode text = answer.get("schema");
    if (text == null || !text.isTextual()) {
      throw new SchemaRegistryException(
          "schema registry at "
              + url
              + " answered without a schema when "
              + what
              + ": "
              + clip(answer));
    }
    Schema schema;
    try {
      schema = new Schema.Parser().parse(text.asText());
    } catch (SchemaParseException e) {
      throw new SchemaRegistryException(
          "schema id " + id + " at " + url + " is not a valid Avro schema: " + e.getMessage(), e);
    }
    Schema previous = schemasById.putIfAbsent(id, schema);
    return previous != null ? previous : schema;
  }

  /** Sets the global compatibility level, e.g. {@code BACKWARD}, {@code FULL} or {@code NONE}. */
  public void setCompatibility(String level) {
    Objects.requireNonNull(level, "level");
    String url = options.baseUrl() + "/config";
    String body;
    try {
      body = JSON.writeValueAsString(Map.of("compatibility", level));
    } catch (JsonProcessingException e) {
      throw new SchemaRegistryException("could not encode compatibility level", e);
    }
    send(
        newRequest(url)
            .header("Content-Type", CONTENT_TYPE)
            .PUT(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
            .build(),
        "setting the compatibility level to " + level);
  }

  /** The global compatibility level, e.g. {@code BACKWARD}. */
  public String compatibility() {
    String url = options.baseUrl() + "/config";
    JsonNode answer = send(newRequest(url).GET().build(), "reading the compatibility level");
    for (String field : new String[] {"compatibilityLevel", "compatibility"}) {
      JsonNode level = answer.get(field);
      if (level != null && level.isTextual()) {
        return level.asText();
      }
    }
    throw new SchemaRegistryException(
        "schema registry at " + url + " answered without a compatibility level: " + clip(answer));
  }

  @Override
  public String toString() {
    return "RestSchemaRegistry[" + options + "]";
  }

  private HttpRequest.Builder newRequest(String url) {
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(options.requestTimeout())
            .header("Accept", ACCEPT);
    if (authorization != null) {
      builder.header("Authorization", authorization);
    }
    return builder;
  }

  /** Sends with retries; returns the parsed JSON body of a 2xx answer. */
  private JsonNode send(HttpRequest request, String what) {
    String url = request.uri().toString();
    String target = request.method() + " " + url;
    Exception lastFailure = null;
    String lastProblem = null;
    int lastStatus = SchemaRegistryException.NO_STATUS;
    int attempts = options.maxAttempts();
    for (int attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) {
        sleepBeforeRetry(attempt, target, lastProblem, what);
      }
      HttpResponse<String> response;
      try {
        response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      } catch (IOException e) {
        lastFailure = e;
        lastStatus = SchemaRegistryException.NO_STATUS;
        lastProblem = describe(e);
        LOG.debug("{} failed (attempt {}/{}): {}", target, attempt, attempts, lastProblem);
        continue;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SchemaRegistryException("interrupted while " + what + " (" + target + ")", e);
      }
      int status = response.statusCode();
      String body = response.body() == null ? "" : response.body();
      if (status >= 200 && status < 300) {
        try {
          return body.isBlank() ? JSON.createObjectNode() : JSON.readTree(body);
        } catch (JsonProcessingException e) {
          throw new SchemaRegistryException(
              "schema registry at "
                  + url
                  + " answered "
                  + what
                  + " with HTTP "
                  + status
                  + " and a body that is not JSON: "
                  + clip(body),
              status,
              null);
        }
      }
      String message =
          "schema registry at "
              + url
              + " failed "
              + what
              + ": HTTP "
              + status
              + (body.isBlank() ? "" : ": " + clip(body));
      if (status < 500) {
        throw new SchemaRegistryException(message, status, null);
      }
      lastFailure = null;
      lastStatus = status;
      lastProblem = "HTTP " + status + (body.isBlank() ? "" : ": " + clip(body));
      LOG.debug("{} failed (attempt {}/{}): {}", target, attempt, attempts, lastProblem);
    }
    if (lastStatus != SchemaRegistryException.NO_STATUS) {
      throw new SchemaRegistryException(
          "schema registry at "
              + url
              + " failed "
              + what
              + " after "
              + attempts
              + (attempts == 1 ? " attempt" : " attempts")
              + ": "
              + lastProblem,
          lastStatus,
          null);
    }
    throw new SchemaRegistryException(
        "schema registry at "
            + options.baseUrl()
            + " is unreachable after "
            + attempts
            + (attempts == 1 ? " attempt" : " attempts")
            + " ("
            + what
            + ", "
            + target
            + "): "
            + lastProblem,
        lastFailure);
  }

  private void sleepBeforeRetry(int attempt, String target, String problem, String what) {
    long millis = options.backoff().toMillis();
    for (int i = 2; i < attempt && millis < MAX_BACKOFF.toMillis(); i++) {
      millis *= 2;
    }
    millis = Math.min(millis, MAX_BACKOFF.toMillis());
    // a transient failure that a retry absorbs (a registry's storage briefly locked while several
    // subjects register at once) is not an operator's problem: only the last retry warns
    boolean last = attempt >= options.maxAttempts();
    LOG.atLevel(last ? org.slf4j.event.Level.WARN : org.slf4j.event.Level.DEBUG)
        .log(
            "{} failed ({}) while {}; retrying in {} ms (attempt {}/{})",
            target,
            problem,
            what,
            millis,
            attempt,
            options.maxAttempts());
    if (millis <= 0) {
      return;
    }
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SchemaRegistryException("interrupted while " + what + " (" + target + ")", e);
    }
  }

  private static String describe(IOException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        return e.getClass().getSimpleName() + ": " + t.getMessage();
      }
    }
    return e.getClass().getSimpleName();
  }

  private static String encode(String subject) {
    return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String clip(Object body) {
    String s = String.valueOf(body).strip();
    return s.length() <= MAX_BODY_IN_MESSAGE ? s : s.substring(0, MAX_BODY_IN_MESSAGE) + "...";
  }
}
