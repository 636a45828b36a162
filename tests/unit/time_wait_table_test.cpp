// The compact TIME_WAIT table: lookups, a million entries, expiry in order and never early, restarts,
// the table used from its own expiry callbacks, colliding hashes under a fixed key, and memory: under 64
// bytes an entry, given back after a mass expiry.

#include "tcp/time_wait.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "test_random.h"

namespace tcpp::tcp {
namespace {

using wire::Ipv4Address;
using wire::Seq;
using wire::test::TestRandom;

constexpr SipKey fixed_key{0x0706050403020100u, 0x0f0e0d0c0b0a0908u};
constexpr std::uint64_t ms = 1000;
constexpr std::uint64_t s = 1'000'000;

// Distinct for every n: 28232 ephemeral ports to each of 2^32 / 28232 remote addresses.
FourTuple tuple_of(std::uint32_t n) {
    return {{Ipv4Address{10, 0, 0, 1}, static_cast<std::uint16_t>(32768 + n % 28232)},
            {Ipv4Address{0x0b000000u + n / 28232}, 80}};
}

TimeWaitState state_of(const FourTuple& tuple, std::uint32_t n, std::uint32_t duration_ms = 60'000) {
    TimeWaitState state;
    state.packed = PackedTuple::pack(tuple);
    state.snd_nxt = Seq{n};
    state.rcv_nxt = Seq{~n};
    state.duration_ms = duration_ms;
    state.ts_recent = n * 3;
    state.ts_offset = n * 7;
    state.window = static_cast<std::uint16_t>(n);
    state.timestamps = (n & 1) != 0;
    return state;
}

// Every entry that expires by now_us, as the table reports them.
std::vector<FourTuple> expire(TimeWaitTable& table, std::uint64_t now_us) {
    std::vector<FourTuple> fired;
    table.expire(now_us, [&](const FourTuple& tuple) { fired.push_back(tuple); });
    return fired;
}

std::uint64_t ceil_ms(std::uint64_t us) { return (us + ms - 1) / ms * ms; }

TEST(TimeWaitTable, EntrySizes) {
    EXPECT_EQ(sizeof(TimeWaitState), 36u);
    EXPECT_EQ(sizeof(TimeWaitEntry), 48u);
}

TEST(TimeWaitTable, InsertFindErase) {
    TimeWaitTable table{fixed_key};
    EXPECT_EQ(table.size(), 0u);
    EXPECT_EQ(table.find(tuple_of(1)), nullptr);
    EXPECT_FALSE(table.next_deadline());
    for (std::uint32_t n = 1; n <= 3; ++n) table.insert(state_of(tuple_of(n), n), 60 * s);
    EXPECT_EQ(table.size(), 3u);
    for (std::uint32_t n = 1; n <= 3; ++n) {
        const TimeWaitEntry* entry = table.find(tuple_of(n));
        ASSERT_NE(entry, nullptr);
        EXPECT_EQ(entry->state.tuple(), tuple_of(n));
        EXPECT_EQ(entry->state.snd_nxt, Seq{n});
        EXPECT_EQ(entry->state.rcv_nxt, Seq{~n});
        EXPECT_EQ(entry->state.ts_offset, n * 7);
        EXPECT_EQ(entry->state.timestamps, (n & 1) != 0);
        EXPECT_EQ(table.expiry(*entry), 60 * s);
    }
    EXPECT_EQ(table.find(tuple_of(4)), nullptr);
    // The same addresses and ports the other way round are another connection.
    const FourTuple one = tuple_of(1);
    EXPECT_EQ(table.find(FourTuple{one.remote, one.local}), nullptr);

    table.erase(tuple_of(2));
    EXPECT_EQ(table.size(), 2u);
    EXPECT_EQ(table.find(tuple_of(2)), nullptr);
    ASSERT_NE(table.find(tuple_of(1)), nullptr);
    ASSERT_NE(table.find(tuple_of(3)), nullptr);
    EXPECT_EQ(table.find(tuple_of(3))->state.snd_nxt, Seq{3});
    table.erase(tuple_of(2));  // absent: nothing happens
    EXPECT_EQ(table.size(), 2u);

    // The const face finds the same.
    const TimeWaitTable& view = table;
    EXPECT_EQ(view.find(tuple_of(3)), table.find(tuple_of(3)));
    EXPECT_EQ(view.find(tuple_of(2)), nullptr);

    // The erased entry never fires; the others do.
    std::vector<FourTuple> fired = expire(table, 60 * s);
    std::sort(fired.begin(), fired.end());
    EXPECT_EQ(fired, (std::vector<FourTuple>{tuple_of(1), tuple_of(3)}));
    EXPECT_EQ(table.size(), 0u);
    EXPECT_FALSE(table.next_deadline());
}

TEST(TimeWaitTable, InsertingAPresentTupleReplacesItsStateAndExpiry) {
    TimeWaitTable table{fixed_key};
    table.insert(state_of(tuple_of(5), 5), 10 * s);
    table.insert(state_of(tuple_of(5), 99), 20 * s);
    EXPECT_EQ(table.size(), 1u);
    EXPECT_EQ(table.find(tuple_of(5))->state.snd_nxt, Seq{99});
    EXPECT_TRUE(expire(table, 20 * s - 1).empty());
    EXPECT_EQ(expire(table, 20 * s).size(), 1u);
}

TEST(TimeWaitTable, EntriesStayPutWhileOthersAreInserted) {
    TimeWaitTable table{fixed_key};
    TimeWaitEntry& first = table.insert(state_of(tuple_of(0), 0), 60 * s);
    for (std::uint32_t n = 1; n < 10'000; ++n) table.insert(state_of(tuple_of(n), n), 60 * s);
    EXPECT_EQ(table.find(tuple_of(0)), &first);
    EXPECT_EQ(first.state.snd_nxt, Seq{0});
}

TEST(TimeWaitTable, AMillionEntries) {
    constexpr std::uint32_t count = 1'000'000;
    TimeWaitTable table{fixed_key};
    for (std::uint32_t n = 0; n < count; ++n) table.insert(state_of(tuple_of(n), n), 60 * s + n);
    ASSERT_EQ(table.size(), count);
    // Everything included, at most 56 bytes an entry.
    EXPECT_LE(table.memory_bytes(), 56u * count);
    std::size_t missing = 0, wrong = 0;
    for (std::uint32_t n = 0; n < count; ++n) {
        const TimeWaitEntry* entry = table.find(tuple_of(n));
        if (entry == nullptr) {
            ++missing;
        } else if (entry->state.snd_nxt != Seq{n} || entry->state.window != static_cast<std::uint16_t>(n)) {
            ++wrong;
        }
    }
    EXPECT_EQ(missing, 0u);
    EXPECT_EQ(wrong, 0u);

    for (std::uint32_t n = 0; n < count; n += 2) table.erase(tuple_of(n));
    ASSERT_EQ(table.size(), count / 2);
    std::size_t found_erased = 0;
    missing = wrong = 0;
    for (std::uint32_t n = 0; n < count; ++n) {
        const TimeWaitEntry* entry = table.find(tuple_of(n));
        if (n % 2 == 0) {
            if (entry != nullptr) ++found_erased;
        } else if (entry == nullptr) {
            ++missing;
        } else if (entry->state.snd_nxt != Seq{n} || table.expiry(*entry) != ceil_ms(60 * s + n)) {
            ++wrong;
        }
    }
    EXPECT_EQ(found_erased, 0u);
    EXPECT_EQ(missing, 0u);
    EXPECT_EQ(wrong, 0u);
    // The erased half's memory went back: entries are dense, and the last chunks are freed.
    EXPECT_LE(table.memory_bytes(), 64u * count);
    EXPECT_LE(table.memory_bytes() - table.index_capacity() * 4, (count / 2 + 2 * TimeWaitTable::chunk_entries) * sizeof(TimeWaitEntry) + 8192);

    // They all expire, the last 1 ms after the first.
    EXPECT_TRUE(expire(table, 60 * s - 1).empty());
    EXPECT_EQ(expire(table, 61 * s).size(), count / 2);
    EXPECT_EQ(table.size(), 0u);
}

TEST(TimeWaitTable, ExpiresOnTheMillisecondItIsDue) {
    TimeWaitTable table{fixed_key};
    table.insert(state_of(tuple_of(1), 1), 60 * s);           // a whole millisecond: exact
    table.insert(state_of(tuple_of(2), 2), 60 * s + 1);       // just past one: the end of that millisecond
    table.insert(state_of(tuple_of(3), 3), 60 * s + 999);
    EXPECT_EQ(table.expiry(*table.find(tuple_of(1))), 60 * s);
    EXPECT_EQ(table.expiry(*table.find(tuple_of(2))), 60 * s + ms);
    EXPECT_EQ(table.expiry(*table.find(tuple_of(3))), 60 * s + ms);
    EXPECT_TRUE(expire(table, 60 * s - 1).empty());
    EXPECT_EQ(expire(table, 60 * s), std::vector<FourTuple>{tuple_of(1)});
    EXPECT_TRUE(expire(table, 60 * s + 999).empty());
    EXPECT_EQ(expire(table, 60 * s + ms).size(), 2u);
}

TEST(TimeWaitTable, ExpireAgainInTheSameMillisecond_TakesWhatWasInsertedForItSince) {
    // The stack calls expire() on every packet, mostly within the millisecond of the last call.
    TimeWaitTable table{fixed_key};
    EXPECT_TRUE(expire(table, 60 * s + 500).empty());
    table.insert(state_of(tuple_of(1), 1), 60 * s);           // already due (2*MSL of zero, say)
    table.insert(state_of(tuple_of(2), 2), 60 * s + ms);      // the next millisecond
    EXPECT_EQ(expire(table, 60 * s + 700), std::vector<FourTuple>{tuple_of(1)});
    EXPECT_TRUE(expire(table, 60 * s + 999).empty());
    EXPECT_EQ(expire(table, 60 * s + ms), std::vector<FourTuple>{tuple_of(2)});
}

TEST(TimeWaitTable, NextDeadlineLeadsToTheExpiry) {
    TimeWaitTable table{fixed_key};
    table.insert(state_of(tuple_of(1), 1), 60 * s + 250);
    std::uint64_t now = 0;
    int wakeups = 0;
    std::vector<FourTuple> fired;
    while (auto deadline = table.next_deadline()) {
        ASSERT_LE(*deadline, 60 * s + ms) << "a deadline after the expiry";
        now = std::max(now, *deadline);
        ++wakeups;
        table.expire(now, [&](const FourTuple& tuple) { fired.push_back(tuple); });
    }
    EXPECT_EQ(now, 60 * s + ms);
    EXPECT_EQ(fired, std::vector<FourTuple>{tuple_of(1)});
    EXPECT_LE(wakeups, 4) << "one wake-up per level of the wheel at most";
}

// Against a model: random expiries (microseconds, any order, several durations), the clock moving in
// random steps. Each entry fires once, never before its expiry, and at the latest on the first step at
// or after the end of its millisecond; the entries of one call fire in order of their millisecond.
TEST(TimeWaitTable, ExpiresInOrderAndNeverEarly) {
    TestRandom random{42};
    TimeWaitTable table{fixed_key};
    std::map<FourTuple, std::uint64_t> expiries;  // the model: what is in the table, and its expiry
    std::uint64_t now = 5 * s;
    table.expire(now, [](const FourTuple&) {});
    std::uint32_t next_tuple = 0;
    for (int round = 0; round < 3000; ++round) {
        for (std::size_t k = random.below(8); k > 0; --k) {
            const FourTuple tuple = tuple_of(next_tuple++);
            // Mostly 2*MSL from now; sometimes (a TCB held by its user, then closed) sooner.
            const std::uint64_t expiry = random.below(4) == 0 ? now + random.below(60 * s) : now + 60 * s;
            table.insert(state_of(tuple, next_tuple), expiry);
            expiries[tuple] = expiry;
        }
        now += random.below(4) == 0 ? random.below(5 * s) : random.below(3 * ms);
        std::uint64_t previous_ms = 0;
        table.expire(now, [&](const FourTuple& tuple) {
            auto it = expiries.find(tuple);
            ASSERT_NE(it, expiries.end()) << "fired twice, or never inserted";
            EXPECT_LE(it->second, now) << "early";
            const std::uint64_t due_ms = ceil_ms(it->second) / ms;
            EXPECT_GE(due_ms, previous_ms) << "out of order";
            previous_ms = due_ms;
            expiries.erase(it);
        });
        // Nothing due is left behind.
        for (const auto& [tuple, expiry] : expiries) ASSERT_GT(ceil_ms(expiry), now);
        ASSERT_EQ(table.size(), expiries.size());
        if (const auto deadline = table.next_deadline(); !expiries.empty()) {
            std::uint64_t soonest = ~std::uint64_t{0};
            for (const auto& [tuple, expiry] : expiries) soonest = std::min(soonest, ceil_ms(expiry));
            ASSERT_TRUE(deadline);
            EXPECT_LE(*deadline, soonest);
        }
    }
    table.expire(now + 61 * s, [&](const FourTuple& tuple) { EXPECT_EQ(expiries.erase(tuple), 1u); });
    EXPECT_TRUE(expiries.empty());
    EXPECT_EQ(table.size(), 0u);
}

TEST(TimeWaitTable, RestartPostponesTheExpiry) {
    TimeWaitTable table{fixed_key};
    const std::uint64_t t0 = 1 * s;
    table.expire(t0, [](const FourTuple&) {});
    table.insert(state_of(tuple_of(1), 1), t0 + 60 * s);
    table.insert(state_of(tuple_of(2), 2), t0 + 60 * s);
    EXPECT_TRUE(expire(table, t0 + 20 * s).empty());
    // The peer's FIN again, 20 s in: 2*MSL from now.
    table.restart(*table.find(tuple_of(1)), t0 + 20 * s);
    EXPECT_EQ(table.expiry(*table.find(tuple_of(1))), t0 + 80 * s);
    EXPECT_EQ(expire(table, t0 + 60 * s), std::vector<FourTuple>{tuple_of(2)});
    EXPECT_TRUE(expire(table, t0 + 80 * s - 1).empty());
    ASSERT_NE(table.find(tuple_of(1)), nullptr);
    // A restart inside a millisecond keeps to the end of it.
    table.restart(*table.find(tuple_of(1)), t0 + 80 * s - 1);
    EXPECT_EQ(table.expiry(*table.find(tuple_of(1))), t0 + 140 * s);
    EXPECT_TRUE(expire(table, t0 + 140 * s - 1).empty());
    EXPECT_EQ(expire(table, t0 + 140 * s), std::vector<FourTuple>{tuple_of(1)});
}

TEST(TimeWaitTable, RestartUsesTheEntrysOwnDuration) {
    TimeWaitTable table{fixed_key};
    table.insert(state_of(tuple_of(1), 1, /*duration_ms=*/2'000), 2 * s);
    table.insert(state_of(tuple_of(2), 2, /*duration_ms=*/60'000), 60 * s);
    table.restart(*table.find(tuple_of(1)), 1 * s);
    table.restart(*table.find(tuple_of(2)), 1 * s);
    EXPECT_EQ(expire(table, 3 * s), std::vector<FourTuple>{tuple_of(1)});
    EXPECT_EQ(expire(table, 61 * s), std::vector<FourTuple>{tuple_of(2)});
}

// The stack does not touch the table from its callback, but the table allows it: an expired entry is out
// before its callback, and entries erased, inserted or restarted there are handled as anywhere else.
// Bare segments are acknowledged at most once per out_of_window_ack_interval_us, per entry.
TEST(TimeWaitTable, BareAcksAreRateLimitedPerEntry) {
    TimeWaitTable table{fixed_key};
    TimeWaitEntry& a = table.insert(state_of(tuple_of(1), 1), 60 * s);
    TimeWaitEntry& b = table.insert(state_of(tuple_of(2), 2), 60 * s);
    EXPECT_TRUE(table.may_ack_bare(a, 0)) << "never acknowledged: at time 0 too";
    EXPECT_FALSE(table.may_ack_bare(a, 499'999));
    EXPECT_TRUE(table.may_ack_bare(b, 499'999)) << "another entry's budget";
    EXPECT_TRUE(table.may_ack_bare(a, 500'000));
    EXPECT_FALSE(table.may_ack_bare(a, 500'000 + 499'999));
    // A restart inside the interval keeps the stamp; one after it changes nothing either.
    table.restart(a, 600 * ms);
    EXPECT_FALSE(table.may_ack_bare(a, 999 * ms));
    table.restart(a, 1000 * ms);
    EXPECT_TRUE(table.may_ack_bare(a, 1000 * ms));
}

// The stamp is kept in 24 bits, modulo about 4.7 hours: an entry kept alive longer than that by its peer's
// repeated FINs must not read an old stamp as a recent one.
TEST(TimeWaitTable, AnAckStampIsNeverMisreadAfterItsClockWraps) {
    constexpr std::uint64_t period_ms = (std::uint64_t{1} << 24) - 1;
    TimeWaitTable table{fixed_key};
    const FourTuple tuple = tuple_of(7);
    table.insert(state_of(tuple, 7), 60 * s);
    ASSERT_TRUE(table.may_ack_bare(*table.find(tuple), 1 * s));
    const std::uint64_t check = (1000 + period_ms + 100) * ms;
    for (std::uint64_t now = 59 * s; now <= check; now += 59 * s) {
        ASSERT_TRUE(expire(table, now).empty());
        table.restart(*table.find(tuple), now);
    }
    ASSERT_TRUE(expire(table, check).empty());
    EXPECT_TRUE(table.may_ack_bare(*table.find(tuple), check)) << "a stamp one period and 100 ms old";
}

// The longest a stamp is read: stamped, restarted just inside the interval (which keeps the stamp), then
// the longest 2*MSL.
TEST(TimeWaitTable, AnAckStampLastsTheLongestEntry) {
    TimeWaitTable table{fixed_key};
    const FourTuple tuple = tuple_of(8);
    const std::uint64_t duration_us = std::uint64_t{TimeWaitState::max_duration_ms} * ms;
    table.insert(state_of(tuple, 8, TimeWaitState::max_duration_ms), duration_us);
    ASSERT_TRUE(table.may_ack_bare(*table.find(tuple), 0));
    table.restart(*table.find(tuple), 499 * ms);
    EXPECT_FALSE(table.may_ack_bare(*table.find(tuple), 499 * ms));
    const std::uint64_t last = 499 * ms + duration_us - ms;
    ASSERT_TRUE(expire(table, last).empty());
    EXPECT_TRUE(table.may_ack_bare(*table.find(tuple), last));
    EXPECT_FALSE(table.may_ack_bare(*table.find(tuple), last));
    EXPECT_EQ(expire(table, last + ms).size(), 1u);
}

TEST(TimeWaitTable, CallbacksMayUseTheTable) {
    TimeWaitTable table{fixed_key};
    for (std::uint32_t n = 0; n < 100; ++n) table.insert(state_of(tuple_of(n), n), 10 * s);    // act when fired
    for (std::uint32_t n = 100; n < 200; ++n) table.insert(state_of(tuple_of(n), n), 20 * s);  // later
    for (std::uint32_t n = 200; n < 300; ++n) table.insert(state_of(tuple_of(n), n), 10 * s);  // due, quiet
    std::set<FourTuple> fired;
    std::uint32_t next_new = 1000;
    table.expire(10 * s, [&](const FourTuple& tuple) {
        EXPECT_TRUE(fired.insert(tuple).second) << "fired twice";
        EXPECT_EQ(table.find(tuple), nullptr) << "still in the table in its callback";
        const std::uint32_t n = static_cast<std::uint32_t>(tuple.local.port - 32768);
        if (n >= 100) return;
        switch (n % 4) {
        case 0: table.erase(tuple_of(n + 100)); break;                      // one not due
        case 1: table.restart(*table.find(tuple_of(n + 100)), 25 * s); break;  // to 85 s
        case 2:
            table.insert(state_of(tuple_of(next_new), next_new), 5 * s);  // overdue: fires in this call
            ++next_new;
            table.insert(state_of(tuple_of(next_new), next_new), 30 * s);
            ++next_new;
            break;
        case 3: table.erase(tuple_of(n + 200)); break;  // one due now: fired already, or never will
        }
    });
    std::size_t acting = 0, quiet = 0, overdue = 0;
    for (const FourTuple& tuple : fired) {
        const std::uint32_t n = static_cast<std::uint32_t>(tuple.local.port - 32768);
        ASSERT_TRUE(n < 100 || (n >= 200 && n < 300) || (n >= 1000 && n % 2 == 0)) << n;
        (n < 100 ? acting : n < 300 ? quiet : overdue) += 1;
    }
    EXPECT_EQ(acting, 100u);
    EXPECT_EQ(overdue, 25u);
    EXPECT_GE(quiet, 75u);
    for (std::uint32_t n = 0; n < 300; ++n) {
        if (n < 100 || n >= 200) {
            EXPECT_EQ(table.find(tuple_of(n)), nullptr) << n;
        }
    }
    // Left: 75 of the later ones (25 erased), 25 of them restarted to 85 s; and 25 new ones at 30 s.
    EXPECT_EQ(table.size(), 100u);
    EXPECT_EQ(expire(table, 20 * s).size(), 50u);
    EXPECT_EQ(expire(table, 30 * s).size(), 25u);
    EXPECT_TRUE(expire(table, 85 * s - 1).empty());
    EXPECT_EQ(expire(table, 85 * s).size(), 25u);
    EXPECT_EQ(table.size(), 0u);
}

// Tuples whose keyed hashes agree in their top `bits` bits, found by search under the fixed key: for an
// index of fewer than 2^bits slots they all start probing from one or two slots.
std::vector<FourTuple> colliding(std::uint64_t top, unsigned bits, std::size_t count) {
    const FourTupleHash hash{fixed_key};
    std::vector<FourTuple> found;
    for (std::uint32_t n = 0; found.size() < count; ++n) {
        const FourTuple tuple = tuple_of(n);
        if (hash(tuple) >> (64 - bits) == top) found.push_back(tuple);
    }
    return found;
}

// Clusters longer than the slots can record (distances past 62), one of them at the end of the index
// so that probes wrap round, mixed with ordinary entries; then erased in a scrambled order.
TEST(TimeWaitTable, CollidingHashesUnderAFixedKey) {
    std::vector<FourTuple> low = colliding(0x123, 12, 200);
    std::vector<FourTuple> high = colliding(0xfff, 12, 200);
    TimeWaitTable table{fixed_key};
    std::vector<FourTuple> all;
    for (std::size_t k = 0; k < 200; ++k) {
        all.push_back(low[k]);
        all.push_back(high[k]);
        all.push_back(tuple_of(5'000'000 + static_cast<std::uint32_t>(k)));
    }
    for (std::size_t k = 0; k < all.size(); ++k) table.insert(state_of(all[k], static_cast<std::uint32_t>(k)), 60 * s);
    ASSERT_EQ(table.size(), all.size());
    for (std::size_t k = 0; k < all.size(); ++k) {
        const TimeWaitEntry* entry = table.find(all[k]);
        ASSERT_NE(entry, nullptr) << k;
        EXPECT_EQ(entry->state.snd_nxt, Seq{static_cast<std::uint32_t>(k)});
    }
    for (std::uint32_t n = 0; n < 1000; ++n) EXPECT_EQ(table.find(tuple_of(6'000'000 + n)), nullptr);

    TestRandom random{7};
    std::vector<std::size_t> order(all.size());
    for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
    for (std::size_t k = order.size(); k > 1; --k) std::swap(order[k - 1], order[random.below(k)]);
    std::set<std::size_t> erased;
    for (std::size_t step = 0; step < order.size(); ++step) {
        table.erase(all[order[step]]);
        erased.insert(order[step]);
        if (step % 50 != 0) continue;
        for (std::size_t k = 0; k < all.size(); ++k) {
            const TimeWaitEntry* entry = table.find(all[k]);
            if (erased.contains(k)) {
                ASSERT_EQ(entry, nullptr) << k;
            } else {
                ASSERT_NE(entry, nullptr) << k;
                ASSERT_EQ(entry->state.snd_nxt, Seq{static_cast<std::uint32_t>(k)});
            }
        }
    }
    EXPECT_EQ(table.size(), 0u);
}

// A large index is rebuilt in the order of the entries' homes (as the table grows, and as it shrinks): every
// entry stays findable, the clusters longer than a slot can record and the cluster that wraps round the
// end of the index included. The ordinary entries go in through insert_new(), as the stack files them.
TEST(TimeWaitTable, RebuildsOfALargeIndexKeepEveryEntry) {
    std::vector<FourTuple> tuples = colliding(0xfff, 12, 300);
    const std::vector<FourTuple> low = colliding(0x123, 12, 300);
    tuples.insert(tuples.end(), low.begin(), low.end());
    std::vector<std::pair<FourTuple, std::uint32_t>> clustered;  // and the snd_nxt each was given
    const FourTupleHash hash{fixed_key};
    TimeWaitTable table{fixed_key};
    for (std::size_t k = 0; k < tuples.size(); ++k) {
        clustered.emplace_back(tuples[k], static_cast<std::uint32_t>(k));
        table.insert(state_of(tuples[k], static_cast<std::uint32_t>(k)), 60 * s);
    }
    constexpr std::uint32_t ordinary = 100'000;
    constexpr std::uint32_t kept = 20'000;  // the last ones: fewer than a quarter of the grown index
    auto ordinary_tuple = [](std::uint32_t n) { return tuple_of(10'000'000 + n); };
    for (std::uint32_t n = 0; n < ordinary; ++n) {
        const FourTuple tuple = ordinary_tuple(n);
        table.insert_new(state_of(tuple, n), 60 * s + n, hash(tuple));
    }
    ASSERT_EQ(table.size(), clustered.size() + ordinary);
    const std::size_t grown_capacity = table.index_capacity();
    auto check = [&](std::uint32_t ordinary_from) {
        for (const auto& [tuple, number] : clustered) {
            const TimeWaitEntry* entry = table.find(tuple);
            ASSERT_NE(entry, nullptr) << number;
            ASSERT_EQ(entry->state.snd_nxt, Seq{number});
        }
        for (std::uint32_t n = 0; n < ordinary; ++n) {
            const TimeWaitEntry* entry = table.find(ordinary_tuple(n));
            if (n < ordinary_from) {
                ASSERT_EQ(entry, nullptr) << n;
            } else {
                ASSERT_NE(entry, nullptr) << n;
                ASSERT_EQ(entry->state.snd_nxt, Seq{n});
                ASSERT_EQ(table.expiry(*entry), ceil_ms(60 * s + n));
            }
        }
    };
    check(0);
    // Down to 20k ordinary entries: the index shrinks, rebuilt from over 16k entries (in order).
    for (std::uint32_t n = 0; n < ordinary - kept; ++n) table.erase(ordinary_tuple(n));
    EXPECT_LT(table.index_capacity(), grown_capacity / 2);
    check(ordinary - kept);
    // The clusters erased in a scrambled order, each step leaving the rest findable.
    TestRandom random{11};
    for (std::size_t k = clustered.size(); k > 1; --k) std::swap(clustered[k - 1], clustered[random.below(k)]);
    while (!clustered.empty()) {
        table.erase(clustered.back().first);
        ASSERT_EQ(table.find(clustered.back().first), nullptr);
        clustered.pop_back();
        if (clustered.size() % 100 == 0) check(ordinary - kept);
    }
    EXPECT_EQ(table.size(), kept);
}

// The same key and the same calls give the same table: its index size and the order entries expire in.
TEST(TimeWaitTable, DeterministicUnderAFixedKey) {
    auto run = [] {
        TimeWaitTable table{fixed_key};
        for (std::uint32_t n = 0; n < 5000; ++n) table.insert(state_of(tuple_of(n * 7919), n), 60 * s + (n % 3) * ms);
        for (std::uint32_t n = 0; n < 5000; n += 3) table.erase(tuple_of(n * 7919));
        std::vector<FourTuple> fired;
        table.expire(61 * s, [&](const FourTuple& tuple) { fired.push_back(tuple); });
        return std::make_pair(table.index_capacity(), fired);
    };
    EXPECT_EQ(run(), run());
}

TEST(TimeWaitTable, MemoryIsGivenBackAfterAMassExpiryAndReused) {
    constexpr std::uint32_t count = 100'000;
    TimeWaitTable table{fixed_key};
    const std::size_t empty = table.memory_bytes();
    for (std::uint32_t n = 0; n < count; ++n) table.insert(state_of(tuple_of(n), n), 60 * s);
    const std::size_t full = table.memory_bytes();
    EXPECT_LE(full, 64u * count);
    EXPECT_EQ(expire(table, 60 * s).size(), count);
    // One spare chunk of entries and a small index are kept.
    EXPECT_LE(table.memory_bytes(), TimeWaitTable::chunk_entries * sizeof(TimeWaitEntry) + 1024);
    EXPECT_LE(table.index_capacity(), 64u);
    EXPECT_GE(table.memory_bytes(), empty);
    // Filled again, it costs what it did.
    for (std::uint32_t n = 0; n < count; ++n) table.insert(state_of(tuple_of(count + n), n), 120 * s);
    EXPECT_LE(table.memory_bytes(), 64u * count);
    EXPECT_LE(table.memory_bytes(), full + full / 16);
    // Erasing gives memory back as well.
    for (std::uint32_t n = 0; n < count; ++n) table.erase(tuple_of(count + n));
    EXPECT_LE(table.memory_bytes(), TimeWaitTable::chunk_entries * sizeof(TimeWaitEntry) + 1024);
}

// Random calls against a model, over few enough tuples that the same ones come back.
TEST(TimeWaitTable, RandomCallsAgreeWithAModel) {
    TestRandom random{2024};
    TimeWaitTable table{fixed_key};
    std::map<FourTuple, std::pair<std::uint32_t, std::uint64_t>> model;  // tuple -> (snd_nxt, expiry ms)
    std::uint64_t now = 0;
    for (int step = 0; step < 200'000; ++step) {
        const auto n = static_cast<std::uint32_t>(random.below(3000));
        const FourTuple tuple = tuple_of(n);
        switch (random.below(6)) {
        case 0:
        case 1: {
            const std::uint64_t expiry = now + random.below(90 * s);
            const auto seq = static_cast<std::uint32_t>(random.next());
            table.insert(state_of(tuple, seq, 30'000), expiry);
            model[tuple] = {seq, ceil_ms(expiry)};
            break;
        }
        case 2:
            table.erase(tuple);
            model.erase(tuple);
            break;
        case 3:
            if (TimeWaitEntry* entry = table.find(tuple)) {
                table.restart(*entry, now);
                model[tuple].second = ceil_ms(now + 30 * s);
            }
            break;
        case 4: {
            const TimeWaitEntry* entry = table.find(tuple);
            auto it = model.find(tuple);
            ASSERT_EQ(entry != nullptr, it != model.end());
            if (entry != nullptr) {
                ASSERT_EQ(entry->state.snd_nxt, Seq{it->second.first});
                ASSERT_EQ(table.expiry(*entry), it->second.second);
            }
            break;
        }
        case 5:
            now += random.below(2 * s);
            table.expire(now, [&](const FourTuple& gone) {
                auto it = model.find(gone);
                ASSERT_NE(it, model.end());
                ASSERT_LE(it->second.second, now);
                model.erase(it);
            });
            for (const auto& [t, value] : model) ASSERT_GT(value.second, now);
            break;
        }
        ASSERT_EQ(table.size(), model.size());
    }
}

}  // namespace
}  // namespace tcpp::tcp
