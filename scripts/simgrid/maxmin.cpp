// SimGrid's max-min solver on clustersim's flows: reads a dump written by
// `cargo run -p clustersim-benches --example flow_dump` (links with their
// capacities, flows with their routes as link lists and clustersim's
// rates), builds the same problem as a SimGrid 3.32 platform, lets
// SimGrid's network model share the links, and compares every rate.
//
// The platform: a star zone where flow i has a host of its own whose route
// to the centre is exactly the flow's links (each a SimGrid SHARED link of
// the same capacity, latency 0); one sink host with an empty route. So a
// communication from host i to the sink crosses exactly flow i's links:
// explicit routes, no routing by SimGrid. Network model CM02 with
// crosstraffic off, bandwidth and latency factors 1, weight-S 0 and TCP
// gamma 0 (no window bound): plain max-min fairness, the problem
// clustersim's FlowModel solves.
//
// The rates: all communications start at once (bytes large enough that
// none ends), SimGrid runs for dt, and rate = (bytes - remaining) / dt.
// Timing, wall and CPU: starting the communications (creating the actions
// and their max-min variables), then the solve (running to dt: SimGrid's
// max-min solve and the update of the actions). One measurement per run:
// SimGrid crashes when communications cancelled from main are followed
// by more, so compare.sh runs this several times and takes medians.
//
// Output: `simgrid_start_ns <wall> cpu_ns <cpu>`, `simgrid_solve_ns
// <wall> cpu_ns <cpu>`,
// `max_rel_diff <x>` over all flows, `disagree <n>` (relative difference
// above the tolerance, argv[2], default 1e-9). Exit 1 on any disagreement.
//
// Build: g++ -O2 -std=c++17 maxmin.cpp -lsimgrid -o maxmin

#include <simgrid/s4u.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace sg4 = simgrid::s4u;

namespace {

struct Flow {
  double rate;
  std::vector<int> links;
};

double cpu_ns()
{
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) * 1e9 + double(t.tv_nsec);
}

[[noreturn]] void bad_dump(const std::string& path, int line, const std::string& what)
{
  std::cerr << "error: " << path << ":" << line << ": " << what
            << "; write the dump with `cargo run -p clustersim-benches --example flow_dump`\n";
  std::exit(2);
}

} // namespace

int main(int argc, char** argv)
{
  if (argc < 2) {
    std::cerr << "error: usage: maxmin <dump.txt> [tolerance]\n";
    return 2;
  }
  const std::string path = argv[1];
  const double tolerance = argc > 2 ? std::atof(argv[2]) : 1e-9;

  std::ifstream in(path);
  if (!in) {
    std::cerr << "error: cannot read " << path << "\n";
    return 2;
  }
  std::vector<double> capacity;
  std::vector<Flow> flows;
  std::string line;
  int lineno = 0;
  size_t want_links = 0;
  size_t want_flows = 0;
  enum { Head, Links, Flows, Tail } state = Head;
  while (std::getline(in, line)) {
    lineno++;
    if (line.empty() || line[0] == '#')
      continue;
    std::istringstream s(line);
    if (state == Head) {
      std::string word;
      if (!(s >> word >> want_links) || word != "links")
        bad_dump(path, lineno, "expected `links <n>`");
      state = want_links ? Links : Flows;
    } else if (state == Links) {
      double c;
      if (!(s >> c) || !(c > 0))
        bad_dump(path, lineno, "expected a positive capacity");
      capacity.push_back(c);
      if (capacity.size() == want_links)
        state = Flows;
    } else if (state == Flows && want_flows == 0 && flows.empty()) {
      std::string word;
      if (!(s >> word >> want_flows) || word != "flows")
        bad_dump(path, lineno, "expected `flows <m>`");
    } else if (state == Flows) {
      Flow f;
      size_t hops;
      if (!(s >> f.rate >> hops))
        bad_dump(path, lineno, "expected `<rate> <hops> <link>...`");
      for (size_t h = 0; h < hops; h++) {
        int l;
        if (!(s >> l) || l < 0 || size_t(l) >= capacity.size())
          bad_dump(path, lineno, "a link id out of range");
        f.links.push_back(l);
      }
      flows.push_back(std::move(f));
      if (flows.size() == want_flows)
        state = Tail;
    } else {
      // solve_ns and anything after: not ours.
    }
  }
  if (flows.size() != want_flows || flows.empty())
    bad_dump(path, lineno, "fewer flows than announced");

  // Actors on threads: with the default raw contexts this program (which
  // starts everything from main) overflows the 8 MiB stack at 10,000
  // communications.
  std::vector<char*> args(argv, argv + argc);
  std::string factory = "--cfg=contexts/factory:thread";
  args.insert(args.begin() + 1, factory.data());
  int nargs = int(args.size());
  sg4::Engine e(&nargs, args.data());
  e.set_config("network/model:CM02");
  e.set_config("network/crosstraffic:0");
  e.set_config("network/bandwidth-factor:1");
  e.set_config("network/latency-factor:1");
  e.set_config("network/weight-S:0");
  e.set_config("network/TCP-gamma:0");

  auto* zone = sg4::create_star_zone("fabric");
  std::vector<sg4::Link*> links;
  links.reserve(capacity.size());
  for (size_t l = 0; l < capacity.size(); l++)
    links.push_back(zone->create_link("l" + std::to_string(l), capacity[l])->set_latency(0)->seal());
  std::vector<sg4::Host*> hosts;
  hosts.reserve(flows.size());
  for (size_t i = 0; i < flows.size(); i++) {
    auto* h = zone->create_host("f" + std::to_string(i), 1e9)->seal();
    std::vector<sg4::LinkInRoute> route;
    for (int l : flows[i].links)
      route.emplace_back(links[l]);
    zone->add_route(h->get_netpoint(), nullptr, nullptr, nullptr, route, false);
    hosts.push_back(h);
  }
  auto* sink = zone->create_host("sink", 1e9)->seal();
  zone->add_route(nullptr, sink->get_netpoint(), nullptr, nullptr, {}, false);
  zone->seal();

  // No flow is faster than its slowest link: bytes / dt keeps every one
  // running through dt.
  const double dt      = 1e-3;
  const double max_cap = *std::max_element(capacity.begin(), capacity.end());
  const double bytes   = std::ceil(max_cap * dt * 16);

  std::vector<sg4::CommPtr> comms;
  comms.reserve(flows.size());
  const auto wall0  = std::chrono::steady_clock::now();
  const double cpu0 = cpu_ns();
  for (size_t i = 0; i < flows.size(); i++)
    comms.push_back(sg4::Comm::sendto_async(hosts[i], sink, uint64_t(bytes)));
  const auto wall1  = std::chrono::steady_clock::now();
  const double cpu1 = cpu_ns();
  e.run_until(dt);
  const double cpu2 = cpu_ns();
  const auto wall2  = std::chrono::steady_clock::now();
  std::vector<double> rate(flows.size());
  for (size_t i = 0; i < flows.size(); i++)
    rate[i] = (bytes - comms[i]->get_remaining()) / e.get_clock();

  double worst    = 0;
  size_t disagree = 0;
  for (size_t i = 0; i < flows.size(); i++) {
    const double want = flows[i].rate;
    const double diff = std::fabs(rate[i] - want) / std::max(std::fabs(want), 1e-300);
    worst             = std::max(worst, diff);
    if (!(diff <= tolerance)) {
      if (disagree < 10)
        std::fprintf(stderr, "flow %zu: clustersim %.17g B/s, SimGrid %.17g B/s (relative %.3g)\n", i, want, rate[i],
                     diff);
      disagree++;
    }
  }
  std::printf("flows %zu links %zu\n", flows.size(), capacity.size());
  const auto ns = [](auto d) { return std::chrono::duration<double, std::nano>(d).count(); };
  std::printf("simgrid_start_ns %.0f cpu_ns %.0f\n", ns(wall1 - wall0), cpu1 - cpu0);
  std::printf("simgrid_solve_ns %.0f cpu_ns %.0f\n", ns(wall2 - wall1), cpu2 - cpu1);
  std::printf("max_rel_diff %.3g\n", worst);
  std::printf("disagree %zu\n", disagree);
  // The communications are still running: SimGrid complains, one
  // backtrace each, when they are destroyed so. Leave them to the exit.
  new std::vector<sg4::CommPtr>(std::move(comms));
  return disagree == 0 ? 0 : 1;
}
