#include <stdio.h>
int main(void)
{
    puts("onair");
    return 0;
}
