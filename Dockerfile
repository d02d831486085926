# The image of one service, chosen by two build arguments: SERVICE, its
# directory (and binary name), and PORT, its default port. Build from the
# repository root (the build context is the whole go.work workspace):
#   docker build --build-arg SERVICE=order-svc --build-arg PORT=8081 -t order-svc .
# skaffold.yaml passes the same arguments for each of its artifacts, and
# k8scheck checks that PORT is the service's port in contracts.
# The module is built on its own (GOWORK=off): its replace directives point
# at ../contracts and ../platform, which are copied beside it, so the other
# workspace modules are not needed. k8scheck runs the same go build command,
# read from this file with the build arguments substituted, and checks that
# it yields a static binary.

FROM golang:1.26-bookworm AS build
ARG SERVICE
WORKDIR /src/${SERVICE}
# Dependencies first, so that a code change reuses the downloaded modules.
COPY contracts/go.mod /src/contracts/
COPY platform/go.mod platform/go.sum /src/platform/
COPY ${SERVICE}/go.mod ${SERVICE}/go.sum ./
RUN GOWORK=off go mod download
COPY contracts/ /src/contracts/
COPY platform/ /src/platform/
COPY ${SERVICE}/ ./
RUN CGO_ENABLED=0 GOWORK=off go build -trimpath -ldflags="-s -w" -o /out/${SERVICE} .

# A static binary needs no libc: distroless/static has only CA certificates,
# time zones and /etc/passwd, and its :nonroot tag runs as uid 65532. The
# binary goes to one fixed path because an exec-form ENTRYPOINT is not
# expanded, and distroless has no shell to expand it.
FROM gcr.io/distroless/static-debian12:nonroot
ARG SERVICE
ARG PORT
COPY --from=build /out/${SERVICE} /service
USER nonroot:nonroot
ENV PORT=${PORT}
EXPOSE ${PORT}
ENTRYPOINT ["/service"]
