/* fuzz_cgroup_records.c - libFuzzer target for the KIP-848 consumer-group
 * records read back from __consumer_offsets at start-up (layer: broker,
 * test only): the input is a list of records {be16 key length, key, be16
 * value length (0xffff: tombstone), value}, stored as the offset store
 * keeps them and rebuilt into groups by cgroups_load. Nothing may crash,
 * leak or read out of bounds, whatever the bytes.
 */
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "broker/group_consumer.h"
#include "broker/group_offsets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct group_offsets *go;
    group_offsets_create(&go);
    size_t at = 0;
    while (at + 4 <= size) {
        size_t kl = (size_t)data[at] << 8 | data[at + 1];
        at += 2;
        if (kl > size - at)
            break;
        struct slice k = slice_make(data + at, kl);
        at += kl;
        if (at + 2 > size)
            break;
        size_t vl = (size_t)data[at] << 8 | data[at + 1];
        at += 2;
        struct slice v = slice_make(NULL, 0);
        if (vl != 0xffff) {
            if (vl > size - at)
                break;
            v = slice_make(data + at, vl);
            at += vl;
        }
        group_offsets_put_records(go, 1, &k, &v, 0);
    }
    struct cgroups *cg;
    cgroups_create(&cg);
    cgroups_load(cg, go, NULL, 0);
    cgroups_destroy(cg);
    group_offsets_close(go);
    return 0;
}
