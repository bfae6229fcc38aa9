# fetchd container image.
#   docker build -t fetchd:0.1.0 .
#   docker run --rm -p 8080:8080 -v fetchd-data:/data --stop-timeout 40 fetchd:0.1.0
# (docker stop waits 10 s by default; fetchd drains for up to FETCHD_SHUTDOWN_GRACE_MS = 30 s.)
#
# Plain Dockerfile syntax, no BuildKit-only features: it also builds with the classic builder that
# Testcontainers (DockerImageTest) uses.

# ---- build: the shaded jar ------------------------------------------------------------------------
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /build
# Dependencies first, in their own layer: it is reused until pom.xml changes.
COPY pom.xml ./
RUN mvn -B -q dependency:go-offline
COPY . ./
RUN mvn -B -DskipTests package

# ---- runtime: JRE only ----------------------------------------------------------------------------
FROM eclipse-temurin:17-jre
# A fixed, unprivileged uid/gid (10001) that Kubernetes runAsUser/fsGroup can name; /data belongs to it.
RUN groupadd --system --gid 10001 fetchd \
 && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home --shell /usr/sbin/nologin fetchd \
 && mkdir -p /app /data \
 && chown 10001:10001 /data
WORKDIR /app
COPY --from=build /build/target/fetchd.jar /app/fetchd.jar

# Heap sized from the container's memory limit, not the host's; exit (and get restarted) on
# OutOfMemoryError instead of limping on. Override the whole variable to change it.
ENV FETCHD_DATA_DIR=/data \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError"
VOLUME ["/data"]
EXPOSE 8080
USER 10001:10001

# The JRE image is not guaranteed to ship curl or wget, and a second JVM every few seconds would cost
# more than the check. bash (always in this Ubuntu-based image) speaks HTTP/1.1 over /dev/tcp:
# healthy when GET /health/live answers 200.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${FETCHD_HTTP_PORT:-8080} && printf 'GET /health/live HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && IFS= read -r -t 4 status <&3 && [[ $status == *' 200 '* ]]"]

# Exec form: java is PID 1 and receives SIGTERM itself, so fetchd's graceful shutdown runs.
ENTRYPOINT ["java", "-jar", "/app/fetchd.jar"]
