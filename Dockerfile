FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --bin motcua --bin motcua-reports

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 libssl3 ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/motcua /src/target/release/motcua-reports /usr/local/bin/
ENV MOTCUA_DATA_DIR=/var/lib/motcua
VOLUME /var/lib/motcua
EXPOSE 8080 8081
CMD ["motcua", "serve"]
