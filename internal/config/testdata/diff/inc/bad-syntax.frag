# fragment included by i03-include-broken.conf: misspelled keyword inside
vrrp_instance VI_FRAG {
    interface eth0
    virtual_router_id 231
    priorty 100
    virtual_ipaddress {
        192.0.2.231
    }
}
