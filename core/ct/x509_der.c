/*
** x509_der.c: a certificate's DER -> the view, without OpenSSL.
**
** A CT converter spends most of its time in d2i_X509, X509_free and
** OpenSSL's extension decoders, building objects for fields no message
** shows. This reader walks the DER once and formats only what the
** message shows. It is strict on purpose: definite minimal lengths,
** one-byte tags, minimal non-negative serials, known string types with
** valid contents, no duplicate extensions, each shown extension in the
** shape CAs issue. Whatever falls outside that is declined, never
** guessed at: the OpenSSL reader takes it, so an odd certificate costs
** time, not a wrong message.
*/
#include <string.h>
#include <time.h>

#include "ct/x509_der.h"
#include "utf8.h"

/* A span of DER being read: [p, end). */
struct der {
    const uint8_t *p, *end;
};

/* Certificates hold far fewer; more is declined. */
#define MAX_EXTENSIONS 32

/* OpenSSL refuses to print an OID past a few hundred bytes (the OpenSSL
** path then leaves the policy out): policy OIDs whose dotted text is
** longer than this are declined, so both paths print the same. */
#define MAX_POLICY_TEXT 127

/* d2i_X509 refuses a Name longer than X509_NAME_MAX (1 MiB); this
** declines well below that. */
#define MAX_NAME_BYTES (64 * 1024)

static size_t der_left(const struct der *d)
{
    return (size_t)(d->end - d->p);
}

/* The tag of the next element, or -1 at the end. */
static int der_peek(const struct der *d)
{
    return d->p < d->end ? d->p[0] : -1;
}

/* Reads the next element of d: its tag in *tag, its contents in *val;
** advances d past it. -1 (d unchanged) unless it is strict DER: a
** one-byte tag, a definite length in its shortest form, contents inside
** d. */
static int der_next(struct der *d, uint8_t *tag, struct der *val)
{
    const uint8_t *p = d->p;
    size_t avail = der_left(d), len, n, i;

    if (avail < 2 || (p[0] & 0x1F) == 0x1F)
        return -1;
    if (p[1] < 0x80) {
        len = p[1];
        n = 0;
    } else {
        n = p[1] & 0x7F;
        if (n == 0 || n > 3 || avail < 2 + n || p[2] == 0)
            return -1;
        for (len = 0, i = 0; i < n; i++)
            len = len << 8 | p[2 + i];
        if (len < 0x80)
            return -1;
    }
    if (len > avail - 2 - n)
        return -1;
    *tag = p[0];
    val->p = p + 2 + n;
    val->end = val->p + len;
    d->p = val->end;
    return 0;
}

/* der_next for an element that must have tag want. */
static int der_expect(struct der *d, uint8_t want, struct der *val)
{
    uint8_t tag;
    struct der save = *d;

    if (der_next(d, &tag, val) == 0 && tag == want)
        return 0;
    *d = save;
    return -1;
}

/* Whether o holds a well-formed OID (what d2i_X509 insists on: no 0x80
** leading a sub-identifier, the last byte ends one) whose sub-identifiers
** all fit in 56 bits (so oid_text can print them). */
static int oid_ok(const struct der *o)
{
    size_t n = der_left(o), i, run = 0;

    if (n == 0 || (o->p[n - 1] & 0x80))
        return 0;
    for (i = 0; i < n; i++) {
        if (run == 0 && o->p[i] == 0x80)
            return 0;
        run = (o->p[i] & 0x80) ? run + 1 : 0;
        if (run >= 8)
            return 0;
    }
    return 1;
}

static int oid_is(const struct der *o, const uint8_t *oid, size_t n)
{
    return der_left(o) == n && memcmp(o->p, oid, n) == 0;
}

/* Writes the dotted decimal form of o (checked by oid_ok), as
** OBJ_obj2txt(..., 1) writes it, into buf (no NUL). Returns its length,
** or -1 when it does not fit in cap bytes. */
static int oid_text(const struct der *o, char *buf, size_t cap)
{
    const uint8_t *p = o->p;
    uint64_t v = 0;
    size_t len = 0, k;
    int first = 1;
    char num[24], *q;

    for (; p < o->end; p++) {
        v = v << 7 | (*p & 0x7F);
        if (*p & 0x80)
            continue;
        if (first) {
            uint64_t arc = v < 80 ? v / 40 : 2;
            if (len == cap)
                return -1;
            buf[len++] = (char)('0' + arc);
            v -= arc * 40;
            first = 0;
        }
        q = num + sizeof num;
        do
            *--q = (char)('0' + v % 10);
        while (v /= 10);
        *--q = '.';
        k = (size_t)(num + sizeof num - q);
        if (k > cap - len)
            return -1;
        memcpy(buf + len, q, k);
        len += k;
        v = 0;
    }
    return (int)len;
}

/* Whether v is an INTEGER's contents in minimal form. */
static int int_ok(const struct der *v)
{
    size_t n = der_left(v);

    return n > 0 && !(n > 1 && ((v->p[0] == 0x00 && !(v->p[1] & 0x80)) ||
                                (v->p[0] == 0xFF && (v->p[1] & 0x80))));
}

/* Whether v is a BIT STRING's contents with its unused bits zero. */
static int bits_ok(const struct der *v)
{
    size_t n = der_left(v);
    unsigned unused = n ? v->p[0] : 8;

    if (unused > 7 || (n == 1 && unused))
        return 0;
    return n == 1 || !(v->p[n - 1] & ((1u << unused) - 1));
}

/* Whether every byte of v is ASCII. */
static int ascii_only(const struct der *v)
{
    for (const uint8_t *p = v->p; p < v->end; p++)
        if (*p & 0x80)
            return 0;
    return 1;
}

/* Reads a BOOLEAN that must be TRUE in its DER form (0xFF): DER leaves
** a FALSE that is the default out, so anything else is declined. */
static int read_true(struct der *d)
{
    struct der b;

    return der_expect(d, 0x01, &b) == 0 && der_left(&b) == 1 &&
           b.p[0] == 0xFF ? 0 : -1;
}

/* Reads an AlgorithmIdentifier: its OID into *oid. The parameters must
** be absent or NULL, or with oid_param an OID (a named curve). */
static int read_algorithm(struct der *d, struct der *oid, int oid_param)
{
    struct der alg, param;
    uint8_t tag;

    if (der_expect(d, 0x30, &alg) || der_expect(&alg, 0x06, oid) ||
        !oid_ok(oid))
        return -1;
    if (alg.p == alg.end)
        return 0;
    if (der_next(&alg, &tag, &param) || alg.p != alg.end)
        return -1;
    if (tag == 0x05 && der_left(&param) == 0)
        return 0;
    return oid_param && tag == 0x06 && oid_ok(&param) ? 0 : -1;
}

/* Whether a name value of this tag and contents converts to UTF-8 as its
** own bytes in ASN1_STRING_to_UTF8: a valid UTF8String, or a
** PrintableString, T61String or IA5String of ASCII only (OpenSSL reads
** their high bytes as Latin-1). */
static int name_string_ok(uint8_t tag, const struct der *v)
{
    if (tag == 0x0C)
        return utf8_valid(v->p, der_left(v));
    return (tag == 0x13 || tag == 0x14 || tag == 0x16) && ascii_only(v);
}

/* The view field of an attribute type, or -1 for one not shown. */
static int name_field(const struct der *oid)
{
    static const uint8_t email[] = { 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D,
                                     0x01, 0x09, 0x01 };

    if (der_left(oid) == 3 && oid->p[0] == 0x55 && oid->p[1] == 0x04) {
        switch (oid->p[2]) {
        case 0x06: return X509_NAME_C;
        case 0x03: return X509_NAME_CN;
        case 0x07: return X509_NAME_L;
        case 0x0A: return X509_NAME_O;
        case 0x0B: return X509_NAME_OU;
        case 0x08: return X509_NAME_ST;
        }
        return -1;
    }
    return oid_is(oid, email, sizeof email) ? X509_NAME_EMAIL : -1;
}

/* Reads a Name into nv (values joined with "," in DER order), each CN
** also into cns unless it is NULL; with nv NULL, only checks it. */
static int read_name(struct der *d, struct x509_name_view *nv,
                     struct x509_sbuf *cns)
{
    struct der name, set, atv, oid, val;
    uint8_t tag;
    int f;

    if (der_expect(d, 0x30, &name) || der_left(&name) > MAX_NAME_BYTES)
        return -1;
    while (name.p < name.end) {
        if (der_expect(&name, 0x31, &set) || set.p == set.end)
            return -1;
        while (set.p < set.end) {
            if (der_expect(&set, 0x30, &atv) ||
                der_expect(&atv, 0x06, &oid) || !oid_ok(&oid) ||
                der_next(&atv, &tag, &val) || atv.p != atv.end ||
                !name_string_ok(tag, &val))
                return -1;
            if (!nv || (f = name_field(&oid)) < 0)
                continue;
            x509_view_name_add(nv, cns, f, val.p, der_left(&val));
        }
    }
    return 0;
}

/* Two decimal digits at p, or -1. */
static int two_digits(const uint8_t *p)
{
    if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
        return -1;
    return (p[0] - '0') * 10 + (p[1] - '0');
}

/* Reads a UTCTime "YYMMDDHHMMSSZ" or GeneralizedTime "YYYYMMDDHHMMSSZ"
** into Unix seconds; other forms (no seconds, offsets, fractions) are
** declined, as are dates that do not exist. */
static int read_time(struct der *d, int64_t *out)
{
    static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
                                   30, 31 };
    struct der t;
    uint8_t tag;
    const uint8_t *p;
    int year, f[5], i;
    struct tm tm;

    if (der_next(d, &tag, &t))
        return -1;
    p = t.p;
    if (tag == 0x17 && der_left(&t) == 13 && p[12] == 'Z') {
        if ((year = two_digits(p)) < 0)
            return -1;
        year += year < 50 ? 2000 : 1900;
        p += 2;
    } else if (tag == 0x18 && der_left(&t) == 15 && p[14] == 'Z') {
        if ((i = two_digits(p)) < 0 || (year = two_digits(p + 2)) < 0)
            return -1;
        year += 100 * i;
        p += 4;
    } else {
        return -1;
    }
    for (i = 0; i < 5; i++)
        if ((f[i] = two_digits(p + 2 * i)) < 0)
            return -1;
    if (f[0] < 1 || f[0] > 12 || f[1] < 1 || f[1] > mdays[f[0] - 1] ||
        f[2] > 23 || f[3] > 59 || f[4] > 59)
        return -1;
    if (f[0] == 2 && f[1] == 29 &&
        !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
        return -1;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = year - 1900;
    tm.tm_mon = f[0] - 1;
    tm.tm_mday = f[1];
    tm.tm_hour = f[2];
    tm.tm_min = f[3];
    tm.tm_sec = f[4];
    *out = (int64_t)timegm(&tm);
    return 0;
}

/* basicConstraints: SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLen INTEGER
** OPTIONAL }; DER leaves cA out when false. */
static int ext_basic_constraints(struct der *val, struct x509_view *v)
{
    struct der seq, b;
    int is_ca;

    if (der_expect(val, 0x30, &seq))
        return -1;
    is_ca = der_peek(&seq) == 0x01;
    if (is_ca && read_true(&seq))
        return -1;
    if (der_peek(&seq) == 0x02 && (der_expect(&seq, 0x02, &b) || !int_ok(&b)))
        return -1;
    if (seq.p != seq.end)
        return -1;
    x509_view_basic_constraints(v, is_ca);
    return 0;
}

/* Whether names holds a non-empty GeneralNames of directory names, DNS
** names, URIs, e-mail or IP addresses. */
static int general_names_ok(struct der names)
{
    struct der name;
    uint8_t tag;
    int ok = names.p < names.end;

    while (ok && names.p < names.end) {
        if (der_next(&names, &tag, &name))
            ok = 0;
        else if (tag == 0xA4)
            ok = read_name(&name, NULL, NULL) == 0 && name.p == name.end;
        else
            ok = tag == 0x81 || tag == 0x82 || tag == 0x86 || tag == 0x87;
    }
    return ok;
}

/* authorityKeyIdentifier: SEQUENCE { keyIdentifier [0], authorityCertIssuer
** [1] GeneralNames, authorityCertSerialNumber [2] }, all optional; only
** the key id is shown. */
static int ext_authority_key_id(struct der *val, struct x509_view *v)
{
    struct der seq, id = { NULL, NULL }, issuer, serial;

    if (der_expect(val, 0x30, &seq) ||
        (der_peek(&seq) == 0x80 && der_expect(&seq, 0x80, &id)))
        return -1;
    if (der_peek(&seq) == 0xA1 && (der_expect(&seq, 0xA1, &issuer) ||
                                   !general_names_ok(issuer)))
        return -1;
    if (der_peek(&seq) == 0x82 && (der_expect(&seq, 0x82, &serial) ||
                                   !int_ok(&serial)))
        return -1;
    if (seq.p != seq.end)
        return -1;
    x509_view_keyid(&v->aki, id.p, der_left(&id));
    return 0;
}

static int ext_subject_key_id(struct der *val, struct x509_view *v)
{
    struct der id;

    if (der_expect(val, 0x04, &id))
        return -1;
    x509_view_keyid(&v->ski, id.p, der_left(&id));
    return 0;
}

static int ext_key_usage(struct der *val, struct x509_view *v)
{
    struct der bits;

    if (der_expect(val, 0x03, &bits) || !bits_ok(&bits))
        return -1;
    x509_view_key_usage(&v->ku, bits.p + 1, der_left(&bits) - 1);
    return 0;
}

/* authorityInfoAccess: a non-empty SEQUENCE OF { method OID, location }
** with every location a URI; the CA issuers URIs, then the OCSP ones, as
** Go groups them. */
static int ext_info_access(struct der *val, struct x509_view *v)
{
    static const uint8_t ocsp[] = { 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07,
                                    0x30, 0x01 };
    static const uint8_t ca_issuers[] = { 0x2B, 0x06, 0x01, 0x05, 0x05,
                                          0x07, 0x30, 0x02 };
    struct der seq, all, ad, method, uri;
    int pass;

    if (der_expect(val, 0x30, &seq) || seq.p == seq.end)
        return -1;
    x509_sb_add(&v->aia, "", 0);
    for (pass = 0; pass < 2; pass++) {
        for (all = seq; all.p < all.end;) {
            if (der_expect(&all, 0x30, &ad) ||
                der_expect(&ad, 0x06, &method) || !oid_ok(&method) ||
                der_expect(&ad, 0x86, &uri) || ad.p != ad.end)
                return -1;
            if (oid_is(&method, pass ? ocsp : ca_issuers, sizeof ocsp))
                x509_sb_item(&v->aia, "URI:", uri.p, der_left(&uri));
        }
    }
    return 0;
}

/* Whether v is a DisplayText (of a user notice) that OpenSSL reads:
** IA5String or VisibleString of ASCII, an even-length BMPString, valid
** UTF-8. */
static int display_text_ok(uint8_t tag, const struct der *v)
{
    if (tag == 0x0C)
        return utf8_valid(v->p, der_left(v));
    if (tag == 0x1E)
        return der_left(v) % 2 == 0;
    return (tag == 0x16 || tag == 0x1A) && ascii_only(v);
}

/* UserNotice ::= SEQUENCE { noticeRef SEQUENCE { organization
** DisplayText, noticeNumbers SEQUENCE OF INTEGER } OPTIONAL, explicitText
** DisplayText OPTIONAL } */
static int user_notice_ok(struct der *d)
{
    struct der un, ref, numbers, t;
    uint8_t tag;

    if (der_expect(d, 0x30, &un))
        return 0;
    if (der_peek(&un) == 0x30) {
        if (der_expect(&un, 0x30, &ref) || der_next(&ref, &tag, &t) ||
            !display_text_ok(tag, &t) || der_expect(&ref, 0x30, &numbers) ||
            ref.p != ref.end)
            return 0;
        while (numbers.p < numbers.end)
            if (der_expect(&numbers, 0x02, &t) || !int_ok(&t))
                return 0;
    }
    if (un.p < un.end &&
        (der_next(&un, &tag, &t) || !display_text_ok(tag, &t)))
        return 0;
    return un.p == un.end;
}

/* certificatePolicies: a non-empty SEQUENCE OF { policy OID, qualifiers
** OPTIONAL }, each qualifier a CPS URI or a user notice;
** "Policy: <oid>\n" each. */
static int ext_policies(struct der *val, struct x509_view *v)
{
    static const uint8_t cps[] = { 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07,
                                   0x02, 0x01 };
    static const uint8_t notice[] = { 0x2B, 0x06, 0x01, 0x05, 0x05, 0x07,
                                      0x02, 0x02 };
    struct der seq, pi, oid, quals, q, qid, text;
    char dotted[MAX_POLICY_TEXT];
    int n;

    if (der_expect(val, 0x30, &seq) || seq.p == seq.end)
        return -1;
    x509_sb_add(&v->policies, "", 0);
    while (seq.p < seq.end) {
        if (der_expect(&seq, 0x30, &pi) || der_expect(&pi, 0x06, &oid) ||
            !oid_ok(&oid))
            return -1;
        if (pi.p < pi.end) {
            if (der_expect(&pi, 0x30, &quals) || quals.p == quals.end ||
                pi.p != pi.end)
                return -1;
            while (quals.p < quals.end) {
                if (der_expect(&quals, 0x30, &q) ||
                    der_expect(&q, 0x06, &qid))
                    return -1;
                if (oid_is(&qid, cps, sizeof cps)) {
                    if (der_expect(&q, 0x16, &text))
                        return -1;
                } else if (!oid_is(&qid, notice, sizeof notice) ||
                           !user_notice_ok(&q)) {
                    return -1;
                }
                if (q.p != q.end)
                    return -1;
            }
        }
        if ((n = oid_text(&oid, dotted, sizeof dotted)) < 0)
            return -1;
        x509_view_policy(v, dotted, (size_t)n);
    }
    return 0;
}

/* subjectAltName: a non-empty SEQUENCE OF names, each an e-mail address,
** DNS name, URI or IP address; the DNS names, then e-mail addresses, then
** IPs, as Go groups them (URIs are not shown). */
static int ext_alt_names(struct der *val, struct x509_view *v)
{
    static const uint8_t order[3] = { 0x82, 0x81, 0x87 };
    static const enum x509_alt_kind kinds[3] = { X509_ALT_DNS,
                                                 X509_ALT_EMAIL, X509_ALT_IP };
    struct der seq, all, name;
    uint8_t tag;
    int pass;

    if (der_expect(val, 0x30, &seq) || seq.p == seq.end)
        return -1;
    x509_sb_add(&v->san, "", 0);
    for (pass = 0; pass < 3; pass++) {
        for (all = seq; all.p < all.end;) {
            if (der_next(&all, &tag, &name) ||
                (tag != 0x81 && tag != 0x82 && tag != 0x86 && tag != 0x87))
                return -1;
            if (tag == order[pass])
                x509_view_alt_name(v, kinds[pass], name.p, der_left(&name));
        }
    }
    return 0;
}

/* One extension's value by its OID; others are not shown and not read.
** The value must be used up. */
static int read_extension(const struct der *oid, struct der val,
                          struct x509_view *v)
{
    static const uint8_t poison[] = { 0x2B, 0x06, 0x01, 0x04, 0x01, 0xD6,
                                      0x79, 0x02, 0x04, 0x03 };
    static const uint8_t info_access[] = { 0x2B, 0x06, 0x01, 0x05, 0x05,
                                           0x07, 0x01, 0x01 };
    int (*fn)(struct der *, struct x509_view *) = NULL;

    if (der_left(oid) == 3 && oid->p[0] == 0x55 && oid->p[1] == 0x1D) {
        switch (oid->p[2]) {
        case 0x13: fn = ext_basic_constraints; break;
        case 0x23: fn = ext_authority_key_id; break;
        case 0x0E: fn = ext_subject_key_id; break;
        case 0x0F: fn = ext_key_usage; break;
        case 0x20: fn = ext_policies; break;
        case 0x11: fn = ext_alt_names; break;
        }
    } else if (oid_is(oid, info_access, sizeof info_access)) {
        fn = ext_info_access;
    } else if (oid_is(oid, poison, sizeof poison)) {
        v->poison = 1;
    }
    if (!fn)
        return 0;
    return fn(&val, v) == 0 && val.p == val.end ? 0 : -1;
}

/* [3] EXPLICIT Extensions: a non-empty SEQUENCE OF { OID, critical
** BOOLEAN DEFAULT FALSE, OCTET STRING }, no OID twice (OpenSSL shows
** neither of two duplicates; declining is simpler than matching that). */
static int read_extensions(struct der *d, struct x509_view *v)
{
    struct der outer, seq, ext, oid, val, seen[MAX_EXTENSIONS];
    size_t n = 0, i;

    if (der_expect(d, 0xA3, &outer) || der_expect(&outer, 0x30, &seq) ||
        outer.p != outer.end || seq.p == seq.end)
        return -1;
    while (seq.p < seq.end) {
        if (n == MAX_EXTENSIONS || der_expect(&seq, 0x30, &ext) ||
            der_expect(&ext, 0x06, &oid) || !oid_ok(&oid))
            return -1;
        if (der_peek(&ext) == 0x01 && read_true(&ext))
            return -1;
        if (der_expect(&ext, 0x04, &val) || ext.p != ext.end)
            return -1;
        for (i = 0; i < n; i++)
            if (oid_is(&seen[i], oid.p, der_left(&oid)))
                return -1;
        seen[n++] = oid;
        if (read_extension(&oid, val, v) < 0)
            return -1;
    }
    return 0;
}

/* The whole certificate; -1 at the first thing declined. */
static int read_certificate(const uint8_t *der, size_t len, struct x509_view *v)
{
    struct der all = { der, der + len }, cert, tbs, ver, serial, oid,
               validity, spki, key, sig;
    int version = 0;

    if (der_expect(&all, 0x30, &cert) || all.p != all.end ||
        der_expect(&cert, 0x30, &tbs))
        return -1;
    if (der_peek(&tbs) == 0xA0) {
        struct der num;
        if (der_expect(&tbs, 0xA0, &ver) || der_expect(&ver, 0x02, &num) ||
            ver.p != ver.end || der_left(&num) != 1 || num.p[0] < 1 ||
            num.p[0] > 2)
            return -1;
        version = num.p[0];
    }
    /* a negative serial (its magnitude to work out) or one not in
    ** minimal form (the OpenSSL reader corrects it) goes the slow way */
    if (der_expect(&tbs, 0x02, &serial) || !int_ok(&serial) ||
        (serial.p[0] & 0x80))
        return -1;
    x509_view_serial(&v->serial, 0, serial.p, der_left(&serial));
    if (read_algorithm(&tbs, &oid, 0) || read_name(&tbs, &v->issuer, NULL) ||
        der_expect(&tbs, 0x30, &validity) ||
        read_time(&validity, &v->not_before) ||
        read_time(&validity, &v->not_after) || validity.p != validity.end ||
        read_name(&tbs, &v->subject, &v->cns))
        return -1;
    if (der_expect(&tbs, 0x30, &spki) || read_algorithm(&spki, &oid, 1) ||
        der_expect(&spki, 0x03, &key) || !bits_ok(&key) ||
        spki.p != spki.end)
        return -1;
    if (der_peek(&tbs) == 0xA3 && (version != 2 || read_extensions(&tbs, v)))
        return -1;
    if (tbs.p != tbs.end)               /* unique IDs, anything else */
        return -1;
    if (read_algorithm(&cert, &oid, 0) ||
        !(v->signature = x509_view_signature_name(oid.p, der_left(&oid))) ||
        der_expect(&cert, 0x03, &sig) || !bits_ok(&sig) ||
        cert.p != cert.end)
        return -1;
    return 0;
}

int x509_der_view(const uint8_t *der, size_t len, int is_precert,
                  struct x509_view *v)
{
    if (!der || read_certificate(der, len, v) < 0) {
        x509_view_free(v);
        return -1;
    }
    v->poison |= is_precert;
    return 0;
}
