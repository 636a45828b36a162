#include "runtime/async.h"

namespace tcpp::runtime {

bool detail::would_block(std::error_code error) { return error == std::errc::resource_unavailable_try_again; }

bool ReadAwaiter::try_complete() {
    auto n = connection_.receive(buffer_);
    if (!n && detail::would_block(n.error())) return false;
    result_.emplace(std::move(n));
    return true;
}

bool WriteAwaiter::try_complete() {
    while (written_ < bytes_.size()) {
        auto n = connection_.send(bytes_.subspan(written_));
        if (!n) {
            if (detail::would_block(n.error())) return false;
            result_.emplace(Unexpected{n.error()});
            return true;
        }
        if (*n == 0) return false;
        written_ += *n;
    }
    result_.emplace(written_);
    return true;
}

bool AcceptAwaiter::try_complete() {
    auto accepted = listener_.accept();
    if (!accepted) {
        if (detail::would_block(accepted.error())) return false;
        result_.emplace(Unexpected{accepted.error()});
        return true;
    }
    result_.emplace(AsyncConnection{reactor_, *accepted});
    return true;
}

bool ConnectAwaiter::try_complete() {
    if (!opening_) {
        result_.emplace(Unexpected{opening_.error()});
        return true;
    }
    Connection& connection = *opening_;
    if (std::error_code error = connection.error()) {
        connection.close();  // nothing more to learn from it: its slot goes
        result_.emplace(Unexpected{error});
        return true;
    }
    const State state = connection.state();
    if (state == State::syn_sent || state == State::syn_received) return false;
    result_.emplace(AsyncConnection{reactor_, connection});
    return true;
}

AsyncConnection& AsyncConnection::operator=(AsyncConnection&& other) noexcept {
    if (this != &other) {
        close();
        reactor_ = std::exchange(other.reactor_, nullptr);
        connection_ = std::exchange(other.connection_, {});
    }
    return *this;
}

// The handle is emptied: later calls on it say EBADF.
void AsyncConnection::close() {
    if (reactor_ == nullptr || !connection_.valid()) return;
    reactor_->forget(connection_);
    std::exchange(connection_, {}).close();
}

void AsyncConnection::abort() {
    if (reactor_ == nullptr || !connection_.valid()) return;
    reactor_->forget(connection_);
    std::exchange(connection_, {}).abort();
}

AsyncListener& AsyncListener::operator=(AsyncListener&& other) noexcept {
    if (this != &other) {
        close();
        reactor_ = std::exchange(other.reactor_, nullptr);
        listener_ = std::exchange(other.listener_, {});
    }
    return *this;
}

void AsyncListener::close() {
    if (reactor_ == nullptr || !listener_.valid()) return;
    reactor_->forget(listener_);
    std::exchange(listener_, {}).close();
}

Result<AsyncListener> AsyncStack::listen(Endpoint local, int backlog, const ListenOptions& options) {
    auto listener = reactor_.stack().listen(local, backlog, options);
    if (!listener) return Unexpected{listener.error()};
    return AsyncListener{reactor_, *listener};
}

}  // namespace tcpp::runtime
