# revgate's container image, in two stages. The first builds the Debian
# package (make deb: the compiler, the -dev libraries, debhelper); the
# second installs that package into a slim Debian, so it holds the binary
# and the runtime libraries dh_shlibdeps named, without compiler, headers
# or build tools.
#   docker build -t revgate .
#   docker run --rm -v "$PWD:/work" -w /work revgate lint
# The release workflow publishes it as ghcr.io/revgate/revgate:VERSION; the
# GitHub Action runs that image, or builds this file from a branch.

FROM debian:bookworm AS build
WORKDIR /src
COPY . .
RUN apt-get update -q \
	&& scripts/deps.sh deb \
	&& make deb \
	&& cp build/deb/revgate_*_*.deb /revgate.deb

FROM debian:bookworm-slim
COPY --from=build /revgate.deb /tmp/revgate.deb
RUN apt-get update -q \
	&& apt-get install -y -q --no-install-recommends /tmp/revgate.deb \
	&& rm -rf /var/lib/apt/lists/* /tmp/revgate.deb \
	&& revgate --version
ENTRYPOINT ["revgate"]
