# Multi-stage build of the whatsapp-service binary (release), run as a non-root user.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p api --bin whatsapp-service

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* && useradd --uid 10001 --no-create-home app
COPY --from=build /src/target/release/whatsapp-service /usr/local/bin/whatsapp-service
USER 10001
EXPOSE 8080
ENV BIND_ADDR=0.0.0.0:8080 LOG_FORMAT=json
ENTRYPOINT ["whatsapp-service"]
CMD ["serve"]
