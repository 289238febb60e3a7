# prodbench as a static binary on a distroless, non-root base: the image
# `prodbench k8s` manifests run. Build: make image (IMAGE=... to name it).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/prodbench ./cmd/prodbench

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/prodbench /prodbench
USER 65532:65532
WORKDIR /results
ENTRYPOINT ["/prodbench"]
