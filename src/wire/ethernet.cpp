#include "wire/ethernet.h"

#include <cassert>

namespace tcpp::wire {
Parsed<EthernetView> EthernetView::parse(Bytes frame) {
    if (frame.size() < header_size) return fail(ParseError::truncated);
    return EthernetView{frame};
}

MacAddress EthernetView::mac_at(std::size_t offset) const { return MacAddress::load(bytes_.data() + offset); }

EthernetHeader EthernetHeader::from(const EthernetView& view) {
    return {view.destination(), view.source(), view.ethertype()};
}

Parsed<EthernetHeader> EthernetHeader::parse(Bytes frame) {
    auto view = EthernetView::parse(frame);
    if (!view) return fail(view.error());
    return from(*view);
}

void EthernetHeader::emit(MutableBytes out) const {
    assert(out.size() >= size());
    destination.store(out.data());
    source.store(out.data() + 6);
    store_be16(out.data() + 12, ethertype);
}

}  // namespace tcpp::wire
