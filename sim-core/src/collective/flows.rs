//! Flow mode: a collective as flows on the fabric (filled in with the fabric).
