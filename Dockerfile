# Sieve: the service jar on a JRE 17, run as a non-root user with its RocksDB state on a volume.
#   docker build -t sieve .
#   docker run -v $PWD/sieve.properties:/etc/sieve/sieve.properties:ro sieve
# The image holds the service artifact only (no broker, no CLI tools, no demo); the `sieve` command line
# (topics, trainer, ingest, tail) runs from a checkout with bin/sieve against the same cluster.

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
# The poms first, so that the dependency layer is cached while only sources change (best
# effort: the plugins resolved later are fetched in the package step).
COPY pom.xml .
COPY schemas/pom.xml schemas/
COPY registry-server/pom.xml registry-server/
COPY topology/pom.xml topology/
RUN mvn -B -q -pl schemas,topology -am dependency:go-offline -DexcludeReactor=true || true
COPY schemas schemas
COPY topology topology
# Only the service module: the local runtime, the CLI, the lab and the registry server are not built.
RUN mvn -B -q -pl schemas,topology -am package -DskipTests -Dspotless.check.skip=true \
 && cp topology/target/sieve-topology-*-all.jar /sieve.jar

FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 10001 sieve \
 && useradd --system --uid 10001 --gid sieve --home-dir /var/lib/sieve --shell /usr/sbin/nologin sieve \
 && mkdir -p /var/lib/sieve /etc/sieve \
 && chown sieve:sieve /var/lib/sieve
COPY --from=build /sieve.jar /app/sieve.jar
# state.dir of the shipped configuration: RocksDB stores, restored from changelogs when empty.
VOLUME ["/var/lib/sieve"]
USER 10001:10001
WORKDIR /var/lib/sieve
# The REST API (health, readiness, interactive queries, metrics) when rest.enabled=true.
EXPOSE 8080
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=70", "-XX:+ExitOnOutOfMemoryError", "-jar", "/app/sieve.jar"]
CMD ["run", "--config", "/etc/sieve/sieve.properties"]
