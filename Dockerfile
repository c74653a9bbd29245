# lanyard's container image: the static binary and nothing else, run as a non-root user.
# The release workflow (.github/workflows/release.yml) builds it natively for
# linux/amd64 and linux/arm64 and publishes it as ghcr.io/lanyard-dev/lanyard:<tag>.
#
#   docker build -t lanyard .
#   docker run --rm -v "$PWD:/src" lanyard check .
#
# The build stage compiles with the dependency versions of Cargo.lock (`--locked`);
# Rust on Alpine targets musl and links statically by default.
FROM rust:1-alpine AS build
WORKDIR /build
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY rules ./rules
COPY README.md LICENSE ./
RUN cargo build --release --locked \
    && install -D -m 0755 target/release/lanyard /out/lanyard \
    && /out/lanyard --version

# No shell, no libc, no package manager: the binary, run as an unprivileged user.
FROM scratch
COPY --from=build /out/lanyard /lanyard
USER 65532:65532
WORKDIR /src
ENTRYPOINT ["/lanyard"]
CMD ["check", "."]
