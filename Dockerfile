# syntax=docker/dockerfile:1
#
# labelguard: a static binary on distroless, run as the nonroot user (65532).
# The container works with a read-only root filesystem: it writes only to
# /tmp and, with the embedded SQLite database, to /data (mount volumes there).
#
#   docker build --build-arg VERSION=0.1.0 --build-arg REVISION=$(git rev-parse HEAD) -t labelguard:0.1.0 .
#   docker run --read-only --tmpfs /tmp -v lgdata:/data -p 8080:8080 labelguard:0.1.0

FROM --platform=$BUILDPLATFORM golang:1.26 AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-buildvcs=false
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
# The build context has no .git (GOFLAGS=-buildvcs=false): the commit is
# passed in, for `labelguard version` and labelguard_build_info.
ARG REVISION=unknown
ARG TARGETOS
ARG TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X main.version=${VERSION} -X main.revision=${REVISION}" \
      -o /out/labelguard ./cmd/labelguard \
 && mkdir -p /out/data /out/tmp

FROM gcr.io/distroless/static-debian12:nonroot
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="labelguard" \
      org.opencontainers.image.description="CDS Hooks 2.0 decision support for JAK inhibitor orders" \
      org.opencontainers.image.source="https://github.com/labelguard/labelguard" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY --from=build /out/labelguard /usr/local/bin/labelguard
# Writable mount points owned by the runtime user, for runs without volumes.
COPY --from=build --chown=65532:65532 /out/data /data
COPY --from=build --chown=65532:65532 --chmod=1777 /out/tmp /tmp
# The default --data-dir is ./data: run from / so that it is /data.
WORKDIR /
ENV LABELGUARD_DATA_DIR=/data
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/labelguard", "serve", "--addr", ":8080"]
